"""GraphiQL in the browser: its page, its vendored files, and the OAuth client it logs in with."""
