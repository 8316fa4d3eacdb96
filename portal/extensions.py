"""Flask extensions, created once and bound to the app in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared where they apply (sign-in, password reset); storage is Redis when
# PORTAL_REDIS_URL is set so that several gunicorn workers share the counts.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
