"""People and their accounts: identities, consent, phones, linked channels, roles and invites."""
