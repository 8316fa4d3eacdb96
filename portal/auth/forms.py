"""Forms for signing in and managing one's account (GOV.UK widgets)."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from portal.auth.passwords import MAX_LENGTH


class SignInForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(), validators=[InputRequired(message="Enter your email address"), Length(max=320, message="Enter an email address of 320 characters or fewer")])
    password = PasswordField("Password", widget=GovPasswordInput(), validators=[InputRequired(message="Enter your password"), Length(max=1024, message="Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code shown in your authenticator app",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the 6-digit code from your authenticator app"), Length(max=20, message="Enter the 6-digit code from your authenticator app")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        description="One of the 10 recovery codes you saved when you set up your sign-in, like abcd-efgh-jkmn-pqrs",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter one of your recovery codes"), Length(max=40, message="Enter a recovery code like abcd-efgh-jkmn-pqrs")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(), validators=[InputRequired(message="Enter your email address"), Length(max=320, message="Enter an email address of 320 characters or fewer")])
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


_password_hint = "Use 12 characters or more. A good way is three or more random words. Do not use your email address."


class NewPasswordForm(FlaskForm):
    password = PasswordField("Create a password", description=_password_hint, widget=GovPasswordInput(), validators=[InputRequired(message="Enter a password"), Length(max=MAX_LENGTH, message=f"Your password must be {MAX_LENGTH} characters or fewer")])
    confirm = PasswordField("Confirm your password", widget=GovPasswordInput(), validators=[InputRequired(message="Confirm your password")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", widget=GovPasswordInput(), validators=[InputRequired(message="Enter your current password")])
    password = PasswordField("New password", description=_password_hint, widget=GovPasswordInput(), validators=[InputRequired(message="Enter a new password"), Length(max=MAX_LENGTH, message=f"Your password must be {MAX_LENGTH} characters or fewer")])
    confirm = PasswordField("Confirm your new password", widget=GovPasswordInput(), validators=[InputRequired(message="Confirm your new password")])
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ReauthenticateForm(FlaskForm):
    password = PasswordField("Password", widget=GovPasswordInput(), validators=[InputRequired(message="Enter your password")])
    code = StringField("Security code", description="The 6-digit code shown in your authenticator app", widget=GovTextInput(), validators=[InputRequired(message="Enter the 6-digit code from your authenticator app"), Length(max=20, message="Enter the 6-digit code from your authenticator app")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolForm(FlaskForm):
    code = StringField("Enter the 6-digit code from your app", widget=GovTextInput(), validators=[InputRequired(message="Enter the 6-digit code from your authenticator app"), Length(max=20, message="Enter the 6-digit code from your authenticator app")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ContinueForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChangeEmailForm(FlaskForm):
    email = StringField("New email address", description="Your work email address. We will send a link to it: you sign in with it once you have followed the link.", widget=GovTextInput(), validators=[InputRequired(message="Enter your new email address"), Length(max=320, message="Enter an email address of 320 characters or fewer")])
    submit = SubmitField("Change email address", widget=GovSubmitInput())


class OrganisationSignInForm(FlaskForm):
    email = StringField(
        "Email address",
        description="Your work email address. We will send you to your organisation's sign-in page",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), Length(max=320, message="Enter an email address of 320 characters or fewer")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
