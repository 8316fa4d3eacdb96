"""The connector to each LA's central case system (contract v1, docs/connector-contract.md).

- signing: HMAC request/response signatures, shared by the portal and the simulator.
- payload: the referral payload schema and the updates' vocabulary.
- client: one HTTP exchange (deliver a referral, pull a page of updates), classified.
- retry: the backoff between delivery attempts.
"""
