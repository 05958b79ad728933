import uuid

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

from .models import User
from .tasks import password_reset_email_send

PASSWORDS_DIFFER = "The two passwords differ. Type the same password twice."


class SignupForm(forms.Form):
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    company = forms.CharField(
        label="Company",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def clean_email(self):
        # Whether an account already uses it is never a form error (no enumeration):
        # the service emails the owner instead.
        return User.objects.normalize_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", forms.ValidationError(PASSWORDS_DIFFER, code="mismatch"))
        elif password1:
            user = User(
                email=cleaned.get("email", ""),
                name=cleaned.get("name", ""),
                company=cleaned.get("company", ""),
            )
            try:
                password_validation.validate_password(password1, user=user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class LoginForm(AuthenticationForm):
    """Django's AuthenticationForm (fields ``username`` and ``password``), labelled Email.

    Its one error message is the same for an unknown email and a wrong password.
    """

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "company", "phone", "bio"]
        labels = {"name": "Your name", "phone": "Phone", "bio": "About you"}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "bio": forms.Textarea(attrs={"rows": 5}),
        }


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form: the account found by its canonical email (exact match), so a
    look-alike spelling reaches the one account it folds to and nothing else; its email
    queued for the worker instead of sent in the request."""

    def get_users(self, email):
        return User.objects.filter(
            email=User.objects.normalize_email(email), is_active=True
        ).exclude(password__startswith="!")

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        password_reset_email_send.enqueue(
            user_id=context["user"].pk,
            key=uuid.uuid4().hex,
            subject_template_name=subject_template_name,
            email_template_name=email_template_name,
            html_email_template_name=html_email_template_name,
        )


WRONG_PASSWORD = "Your password was entered incorrectly. Type it again."


class _PasswordCheckedForm(forms.Form):
    """A form that asks the member's current password (for changes a stolen session must
    not make alone)."""

    password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(WRONG_PASSWORD, code="password_incorrect")
        return password


class EmailChangeForm(_PasswordCheckedForm):
    # Named "email": the rate limit counts posts per address (accounts.throttle), so a
    # stranger's inbox cannot be flooded with confirmation links.
    email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    field_order = ["email", "password"]

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"])


class AccountCloseForm(_PasswordCheckedForm):
    pass
