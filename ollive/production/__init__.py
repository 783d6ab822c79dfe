"""The production-like compose stack's side of the launcher: its `.env` (`ollive prod init`),
the refusal of public secrets, and what its first start provisions."""
