"""Safeguard Portal: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, send_from_directory
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from portal.config import flask_config, load_settings, read_secrets
from portal.templating import TemplateEnvironment

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOVUK_ASSETS = PROJECT_ROOT / "static" / "govuk-frontend" / "assets"


class Portal(Flask):
    """The Flask app, with the portal's Jinja environment (see portal.templating)."""

    jinja_environment = TemplateEnvironment


def create_app(environ: dict[str, str] | None = None, **overrides) -> Flask:
    settings = load_settings(environ)
    secrets = read_secrets(environ)  # handed to crypto and mail below, never kept in app.config
    app = Portal(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(flask_config(settings))
    app.config.update(overrides)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    _init_templates(app)
    _init_extensions(app, secrets)
    del secrets
    _trust_proxies(app, settings.trusted_proxy_hops)
    _register_blueprints(app)
    _register_cli(app)
    from portal.extensions import check_rate_limits_only_where_declared

    check_rate_limits_only_where_declared(app)
    from portal.templating import freeze_template_globals

    freeze_template_globals(app)
    return app


def _init_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    WTFormsHelpers(app)

    from portal.templating import init_templating

    init_templating(app)


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind the documented TLS proxy or load balancer, take the client's address and scheme from
    the headers that many proxies set (PORTAL_TRUSTED_PROXY_HOPS); with none, from the socket."""
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def _init_extensions(app: Flask, secrets: dict[str, str]) -> None:
    from portal.auth.login_manager import init_login
    from portal.errors import init_errors
    from portal.db import db
    from portal.extensions import csrf, limiter, migrate
    from portal.security import init_security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    from portal.policy import init_policy

    init_policy(app)
    init_security(app)
    init_errors(app)

    from portal.crypto import init_crypto

    init_crypto(app, secrets)  # production refuses to start without a master key
    from portal.notify.mail import init_mail

    init_mail(app, secrets)

    # Import every model so that metadata (and Alembic autogenerate) sees all tables.
    import portal.models  # noqa: F401
    # Session hooks that mark a council's queue and a school's roll as changed (the queue page's
    # cache and the roll's kept names rely on them).
    import portal.triage.queue_changes  # noqa: F401
    import portal.pupils.roll_changes  # noqa: F401
    # Areas hear each other's events (portal.events) through the subscriptions made here.
    from portal.wiring import subscribe_areas

    subscribe_areas()


def _register_blueprints(app: Flask) -> None:
    from portal import health, home
    from portal.admin.views import bp as admin_bp
    from portal.auth.views import bp as auth_bp
    from portal.chronology.views import bp as chronology_bp
    from portal.policy import public

    app.register_blueprint(health.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(chronology_bp)
    from portal.pupils.views import bp as pupils_bp

    app.register_blueprint(pupils_bp)
    from portal.triage.views import bp as triage_bp

    app.register_blueprint(triage_bp)
    from portal.referrals.views import bp as referrals_bp
    from portal.updates.views import bp as updates_bp

    app.register_blueprint(referrals_bp)
    app.register_blueprint(updates_bp)
    from portal.agencies.views import bp as agencies_bp

    app.register_blueprint(agencies_bp)
    from portal.concerns.views import bp as concerns_bp

    app.register_blueprint(concerns_bp)
    from portal.connector.views import bp as connector_bp

    app.register_blueprint(connector_bp)
    from portal.transfers.views import bp as transfers_bp

    app.register_blueprint(transfers_bp)
    from portal.dashboard.views import bp as dashboard_bp

    app.register_blueprint(dashboard_bp)
    from portal.retention.views import bp as retention_bp

    app.register_blueprint(retention_bp)
    from portal.rolls.views import bp as rolls_bp

    app.register_blueprint(rolls_bp)
    from portal.encompass.views import bp as encompass_bp

    app.register_blueprint(encompass_bp)
    from portal.cme.views import bp as cme_bp

    app.register_blueprint(cme_bp)

    # GOV.UK Frontend's CSS refers to its fonts and images under /assets/.
    @public
    def govuk_assets(filename):
        return send_from_directory(GOVUK_ASSETS, filename, max_age=86400)

    app.add_url_rule("/assets/<path:filename>", endpoint="govuk_assets", view_func=govuk_assets)
    app.view_functions["static"].policy_public = True


def _register_cli(app: Flask) -> None:
    from portal.audit.cli import audit_cli
    from portal.crypto.cli import keys_cli
    from portal.connector.cli import connector_cli
    from portal.orgs.cli import schools_cli
    from portal.auth.cli import users_cli
    from portal.notify.cli import mail_cli
    from portal.files.cli import files_cli
    from portal.retention.cli import retention_cli
    from portal.encompass.cli import encompass_cli
    from portal.jobs.cli import jobs_cli
    from portal.rolls.cli import rolls_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(connector_cli)
    app.cli.add_command(schools_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(encompass_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(rolls_cli)
