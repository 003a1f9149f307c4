"""Benchmarks that print figures; they run with a throwaway encryption key, as the tests do."""

from storage.encryption import Keyring, use_keyring

use_keyring(Keyring.generate())
