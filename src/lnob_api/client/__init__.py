"""The OAuth client domain: registering, listing and revoking machine and frontend clients."""
