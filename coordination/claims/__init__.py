"""Reward and recognition: contributors' claims for involvement fees and expenses, from draft to payment."""
