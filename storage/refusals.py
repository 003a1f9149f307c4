"""Refusals: a rule said no. `reason` is a short key the handler turns into the user's words."""


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
