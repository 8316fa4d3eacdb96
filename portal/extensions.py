"""Flask extensions, created once and bound to the app in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared where they apply (sign-in, password reset); storage is Redis when
# PORTAL_REDIS_URL is set so that several gunicorn workers share the counts.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def check_rate_limits_only_where_declared(app) -> None:
    """Take Flask-Limiter's check off the pages that have no limit.

    Flask-Limiter looks at every request in a before_request hook, for limits that cover the whole
    app or a whole blueprint. The portal declares none: each limit sits on its own view (sign-in,
    password reset) and that view's decorator checks it. Without the hook, every other page (all
    that a signed-in user sees) skips the limiter's bookkeeping. Called once every blueprint is
    registered; if a wide limit has been declared since, the hook is needed and the app refuses to
    start rather than silently not enforce it.
    """
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or any(
            manager.blueprint_limits(app, name) for name in app.blueprints):
        raise RuntimeError("an app-wide or blueprint-wide rate limit is declared: keep Flask-Limiter's "
                           "before_request check (portal.extensions)")
    app.before_request_funcs[None].remove(limiter._check_request_limit)
