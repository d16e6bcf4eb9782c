"""Forms: what each kind of input may be, with the messages shown next to the field."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, EmailField, HiddenField, IntegerField, PasswordField, RadioField, SelectChoice, SelectField,
    StringField, TextAreaField
)
from flask_login import current_user
from wtforms.validators import DataRequired, EqualTo, InputRequired, NumberRange, Optional, Regexp, ValidationError

from .characters import refused_character
from .images import UploadedPicture
from .email_addresses import EMAIL_MAX, normalized_address
from .models import (
    AVATAR_MAX_PIXELS, AVATAR_SIZE, BIO_MAX, BODY_MAX, DISPLAY_NAME_MAX, FILM_TITLE_MAX, FIRST_FILM_YEAR, REASON_MAX, REPORT_DETAILS_MAX, TITLE_MAX, USERNAME_PATTERN, Film,
    Report, utcnow
)
from .passwords import PASSWORD_MAX, PASSWORD_MIN, password_problem



def single_line(value):
    """Titles and names: surrounding and repeated whitespace (newlines included) folded to one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def trimmed(value):
    """Free text without surrounding whitespace (newlines inside are kept)."""
    return value.strip() if isinstance(value, str) else value


def unix_newlines(value):
    """Browsers send CRLF; count and store a newline as one character."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def not_blank(form, field):
    if not (field.data or "").strip():
        raise ValidationError("This can't be empty.")


class CharacterLimit:
    """At most `limit` characters (code points, a newline counting one), checked on the server only.

    Unlike WTForms' Length it puts no `maxlength` on the field: a browser cuts pasted text at `maxlength`
    without a word, and an essay would post cut mid-sentence. The field shows a live count against the limit
    instead (the `character_count` macro), and text over the limit comes back in the form with this message.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.field_flags = {"character_limit": limit}  # read by the templates' count; not an HTML attribute

    def __call__(self, form, field):
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(f"At most {self.limit:,} characters; this has {length:,}. Shorten it by {length - self.limit:,}.")


class NewPassword:
    """The password rules of board/passwords.py, for the member the form names (its `password_owner()`).

    Only `minlength` goes on the field, so a browser can say "too short" before sending; no `maxlength`,
    which would cut a pasted password without a word.
    """

    field_flags = {"minlength": PASSWORD_MIN}

    def __call__(self, form, field):
        problem = password_problem(field.data or "", form.password_owner())
        if problem:
            raise ValidationError(problem)


class VisibleText:
    """Only characters a reader sees: no bidi controls, zero-width or control characters, no towers of combining marks.

    The one rule (board/characters.py) for every name and reason a member types that others read as plain text.
    """

    def __init__(self, newlines: bool = False):
        self.newlines = newlines

    def __call__(self, form, field):
        problem = refused_character(field.data or "", newlines=self.newlines)
        if problem:
            raise ValidationError(f"This {problem}: type it again without it.")


class MailAddress:
    """An address the board can send to; the field's data becomes its stored form (board/email_addresses.py)."""

    def __call__(self, form, field):
        if not field.data:
            return
        if len(field.data) > EMAIL_MAX:
            raise ValidationError(f"At most {EMAIL_MAX} characters.")
        address = normalized_address(field.data)
        if address is None:
            raise ValidationError("That is not an email address we can send to, like name@example.com.")
        field.data = address


def email_field(label: str, required: str | None = None) -> EmailField:
    first = [InputRequired(required)] if required else [Optional()]
    return EmailField(label, filters=[trimmed], validators=[*first, MailAddress()])


def markdown_body(label: str) -> TextAreaField:
    return TextAreaField(label, filters=[unix_newlines], validators=[not_blank, CharacterLimit(BODY_MAX)])


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        filters=[single_line],
        validators=[
            DataRequired("Choose a username."),
            Regexp(USERNAME_PATTERN, message="3–30 letters, digits, _ or -."),
        ],
    )
    password = PasswordField("Password", validators=[InputRequired("Choose a password."), NewPassword()])
    confirm = PasswordField(
        "Confirm password", validators=[InputRequired("Type the password again."), EqualTo("password", "The passwords differ.")]
    )
    email = email_field("Email (optional)")

    def password_owner(self) -> str:
        return self.username.data or ""


class LoginForm(FlaskForm):
    username = StringField("Username", filters=[single_line], validators=[DataRequired("Enter your username.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), CharacterLimit(PASSWORD_MAX)])
    remember = BooleanField("Remember me on this device")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired("Enter your current password.")])
    password = RegisterForm.password
    confirm = RegisterForm.confirm

    def password_owner(self) -> str:
        return current_user.username


class EmailForm(FlaskForm):
    email = email_field("New email address", required="Enter the address.")
    current = PasswordField("Current password", validators=[InputRequired("Enter your current password.")])


class NoticesForm(FlaskForm):
    notices = RadioField("Email me about replies, mentions and threads I follow", choices={
        "off": "Never (the inbox on the site only)",
        "immediate": "Right away: one mail per conversation, then none about it until I read it in my inbox",
        "digest": "Once a day at most: a digest of what is new, none when nothing is",
    }, validators=[InputRequired("Choose how you want notices.")])


class ForgotPasswordForm(FlaskForm):
    email = email_field("Your account's email address", required="Enter the address your account has.")


class ResetPasswordForm(FlaskForm):
    token = HiddenField()
    password = RegisterForm.password
    confirm = RegisterForm.confirm

    def __init__(self, member, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def password_owner(self) -> str:
        return self.member.username


class ThreadForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[single_line],
        validators=[DataRequired("Give the thread a title."), VisibleText(), CharacterLimit(TITLE_MAX)],
    )
    film_title = StringField(
        "Film",
        filters=[single_line],
        validators=[
            DataRequired("Which film is it about?"),
            VisibleText(),
            CharacterLimit(FILM_TITLE_MAX),
        ],
    )
    film_year = IntegerField(
        "Year (optional)",
        validators=[Optional(), NumberRange(min=FIRST_FILM_YEAR, max=utcnow().year + 10, message="That is not a film year.")],
    )
    body = markdown_body("Post")
    has_spoilers = BooleanField("Contains spoilers")

    def validate_film_year(self, field):
        """A title ending in a year ("Her (2013)") and another year in the box: which is meant can't be guessed, so ask."""
        _, year_in_title = Film.split_year(self.film_title.data or "")
        if year_in_title is not None and field.data != year_in_title:
            raise ValidationError(f"The film's title ends with the year {year_in_title}: leave this empty or make them agree.")


class ReplyForm(FlaskForm):
    body = markdown_body("Reply")


class HideForm(FlaskForm):
    reason = StringField(
        "Reason (optional)",
        filters=[single_line],
        validators=[Optional(), VisibleText(), CharacterLimit(REASON_MAX)],
    )


class PinForm(FlaskForm):
    until = DateField("Unpin on (optional)", validators=[Optional()])

    def validate_until(self, field):
        if field.data and field.data <= utcnow().date():
            raise ValidationError("Choose a date after today.")


BAN_TERMS = [("1", "1 day"), ("3", "3 days"), ("7", "7 days"), ("30", "30 days"), ("365", "1 year"), ("permanent", "Permanently")]


class BanForm(FlaskForm):
    term = SelectField("Ban for", choices=[SelectChoice(value, label) for value, label in BAN_TERMS], default="7")
    reason = StringField(
        "Reason",
        filters=[single_line],
        validators=[DataRequired("Say why: the member will see it."), VisibleText(), CharacterLimit(REASON_MAX)],
    )

    @property
    def days(self) -> int | None:
        return None if self.term.data == "permanent" else int(self.term.data)


ROLE_CHOICES = [("member", "Member"), ("moderator", "Moderator"), ("admin", "Admin")]


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(value, label) for value, label in ROLE_CHOICES])


# Reports (issue #3): a member's report of a post; a moderator's resolution of a reported post.

class ReportForm(FlaskForm):
    reason = RadioField("Why are you reporting this post?", choices=Report.REASONS,
                        validators=[InputRequired("Choose a reason.")])
    details = TextAreaField(
        "Details",
        filters=[unix_newlines, trimmed],
        validators=[VisibleText(newlines=True), CharacterLimit(REPORT_DETAILS_MAX)],
    )

    def validate_details(self, field):
        if self.reason.data == "other" and not field.data:
            raise ValidationError("Tell the moderators what is wrong when you choose “Other”.")


class ResolveForm(FlaskForm):
    reason = StringField(
        "Reason (optional, shown publicly)",
        filters=[single_line],
        validators=[Optional(), VisibleText(), CharacterLimit(REASON_MAX)],
    )


class EditPostForm(FlaskForm):
    """An edit of a reply: just its text."""

    body = markdown_body("Post")


class EditOpeningPostForm(EditPostForm):
    """An edit of a thread's opening post: its text and the thread's title."""

    title = ThreadForm.title


def edit_form_for(post, **prefill) -> EditPostForm:
    """The edit form that fits the post (the title only for an opening post), prefilled on a first visit."""
    return (EditOpeningPostForm if post.is_opening else EditPostForm)(**prefill)


# Member profiles (issue #4): a short Markdown bio.

class BioForm(FlaskForm):
    bio = TextAreaField(
        "Bio",
        filters=[unix_newlines],
        validators=[CharacterLimit(BIO_MAX)],
    )


# Leaving (issue #12 item 6): the member's own password, or an admin's own when deleting someone else.

LEAVING_CHOICES = [
    ("keep", "Keep my posts, shown as by “[deleted member]”, so conversations keep their shape"),
    ("remove", "Remove the text of my posts (each leaves a “[deleted]” placeholder, so replies stay in place)"),
]


class DeleteAccountForm(FlaskForm):
    posts = RadioField("Your posts", choices=[SelectChoice(value, label) for value, label in LEAVING_CHOICES], default="keep",
                       validators=[InputRequired("Choose what happens to the posts.")])
    current = PasswordField("Your current password", validators=[InputRequired("Enter your current password.")])

    @property
    def remove_posts(self) -> bool:
        return self.posts.data == "remove"
# How a member appears (issue #12): a display name beside their username, and an avatar.

class DisplayNameForm(FlaskForm):
    """Sent urlencoded (its own form, apart from the avatar's upload), so board/security.py checks it for NUL bytes."""

    display_name = StringField(
        "Display name",
        filters=[single_line],
        validators=[Optional(), CharacterLimit(DISPLAY_NAME_MAX), VisibleText()],
    )


class AvatarForm(FlaskForm):
    avatar = FileField("Picture", validators=[
        FileRequired("Choose a picture to upload."),
        UploadedPicture(box=(AVATAR_SIZE, AVATAR_SIZE), max_pixels=AVATAR_MAX_PIXELS, crop=True),
    ])
