from django import forms

from .models import BODY_MAX_LENGTH


class QuestionForm(forms.Form):
    body = forms.CharField(
        label="Your question",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: is there parking? Can we bring a dog?",
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message", max_length=BODY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
