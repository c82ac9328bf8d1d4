"""Paying a batch of 200 claims with SMTP off, and on with a mail server that takes 50 ms a message.

Before the outbox, each paid claim's email went over SMTP inside the request (up to 10 s each). Now the
emails are written to the outbox in the paying transaction and sent afterwards, so the two timings should
match; the outbox is then sent and timed on its own.
"""

from __future__ import annotations

import time

from _organisations_setup import fresh_app

CLAIMS = 200
SMTP_DELAY = 0.05


def seed(db, n: int):
    from coordination.accounts.operations import create_user
    from coordination.claims import demo
    from coordination.claims import operations as ops

    stamp = time.monotonic_ns()
    coordinator = create_user(email=f"c{stamp}@example.org", name="Coordinator", role="coordinator")
    finance = create_user(email=f"f{stamp}@example.org", name="Finance", role="finance")
    people = [create_user(email=f"p{stamp}-{i}@example.org", name=f"Person {i}", role="contributor") for i in range(20)]
    demo.approved_claims(people, n, coordinator, fee_pence=5000, expenses_pence=1035)
    db.session.commit()
    return ops.create_batch(actor=finance), finance


def main() -> None:
    from coordination import mail
    from coordination.claims import operations as ops

    app, db = fresh_app()
    mail._deliver = lambda to, subject, body: time.sleep(SMTP_DELAY)
    for label, host in (("SMTP off", ""), (f"SMTP on ({SMTP_DELAY * 1000:.0f} ms a message)", "smtp.example.org")):
        app.config["SMTP_HOST"] = host
        batch, finance = seed(db, CLAIMS)
        started = time.perf_counter()
        ops.mark_batch_paid(batch, actor=finance)
        paying = time.perf_counter() - started
        started = time.perf_counter()
        counts = mail.send_pending()
        sending = time.perf_counter() - started
        print(
            f"{label:32} paying {CLAIMS} claims: {paying:6.2f} s; then the outbox: {counts['sent']} sent "
            f"in {sending:.2f} s, {counts['waiting']} waiting"
        )
    print(f"(the old way would have added about {CLAIMS * SMTP_DELAY:.0f} s to the paying request with SMTP on)")


if __name__ == "__main__":
    main()
