"""A local and CI OpenID Connect issuer: discovery, JWKS, client_credentials tokens (RS256), key rotation."""
