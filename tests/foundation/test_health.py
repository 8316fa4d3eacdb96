from flask_migrate import downgrade, upgrade


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_database_migrations_and_keys(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current", "keys": "ok"}


def test_health_answers_reveal_no_versions_or_configuration(client):
    for path in ("/healthz", "/readyz"):
        body = client.get(path).get_data(as_text=True).lower()
        for word in ("version", "sqlite", "postgres", "flask", "python", "secret"):
            assert word not in body


def test_readyz_is_unavailable_when_migrations_are_behind(app, client):
    from portal.db import db

    db.session.remove()
    downgrade(revision="base")
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["migrations"] == "behind"
    finally:
        upgrade()
