"""The JSON API shell: error envelope, request ids, sessions, pagination, strict schemas."""
