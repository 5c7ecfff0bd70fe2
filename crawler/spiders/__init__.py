"""The one generic spider lives in `aid.py`; sources are data, not code."""
