"""Communities of practice, the people in them, events, attendance and pledges."""
