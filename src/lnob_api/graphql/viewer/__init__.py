"""The caller itself: who the token says you are."""
