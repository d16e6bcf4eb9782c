"""Forms: what each kind of input may be, with the messages shown next to the field."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .models import BODY_MAX, FILM_TITLE_MAX, PASSWORD_MIN, REASON_MAX, TITLE_MAX, USERNAME_PATTERN, utcnow

PASSWORD_MAX = 1024
FIRST_FILM_YEAR = 1870


def single_line(value):
    """Titles and names: surrounding and repeated whitespace (newlines included) folded to one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def unix_newlines(value):
    """Browsers send CRLF; count and store a newline as one character."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def not_blank(form, field):
    if not (field.data or "").strip():
        raise ValidationError("This can't be empty.")


def markdown_body(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[unix_newlines],
        validators=[not_blank, Length(max=BODY_MAX, message=f"Keep it under {BODY_MAX:,} characters (it has %(length)d).")],
    )


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        filters=[single_line],
        validators=[
            DataRequired("Choose a username."),
            Regexp(USERNAME_PATTERN, message="3–30 letters, digits, _ or -."),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Choose a password."),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=f"At least {PASSWORD_MIN} characters."),
        ],
    )
    confirm = PasswordField(
        "Confirm password", validators=[InputRequired("Type the password again."), EqualTo("password", "The passwords differ.")]
    )


class LoginForm(FlaskForm):
    username = StringField("Username", filters=[single_line], validators=[DataRequired("Enter your username.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=PASSWORD_MAX)])
    remember = BooleanField("Remember me on this device")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired("Enter your current password.")])
    password = RegisterForm.password
    confirm = RegisterForm.confirm


class ThreadForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[single_line],
        validators=[DataRequired("Give the thread a title."), Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters.")],
    )
    film_title = StringField(
        "Film",
        filters=[single_line],
        validators=[
            DataRequired("Which film is it about?"),
            Length(max=FILM_TITLE_MAX, message=f"At most {FILM_TITLE_MAX} characters."),
        ],
    )
    film_year = IntegerField(
        "Year (optional)",
        validators=[Optional(), NumberRange(min=FIRST_FILM_YEAR, max=utcnow().year + 10, message="That is not a film year.")],
    )
    body = markdown_body("Post")
    has_spoilers = BooleanField("Contains spoilers")


class ReplyForm(FlaskForm):
    body = markdown_body("Reply")


class HideForm(FlaskForm):
    reason = StringField(
        "Reason (optional)",
        filters=[single_line],
        validators=[Optional(), Length(max=REASON_MAX, message=f"At most {REASON_MAX} characters.")],
    )
