"""Accounts: people who sign in, their roles, sessions and set-up links."""
