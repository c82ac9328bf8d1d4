"""The yardstick for bench/load.py: a bare Flask page, served by gunicorn exactly like the service."""

from flask import Flask, render_template_string

app = Flask(__name__)

PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>A trivial page rendered from a template, for comparison.</p></main></body></html>"""


@app.get("/")
def bare_page():
    return render_template_string(PAGE, title="Bare Flask page")
