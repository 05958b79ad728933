"""Reviews in both admins. Neither deletes one: operators hide a review with a reason (it
is kept), hosts reply once, publicly. Both write through bookings.reviews, which keeps the
listing's average and tells public pages."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.admin_params import ForgedParamsMixin, ServiceRefusalMixin
from accounts.admin_site import host_site

from . import reviews, selectors
from .models import Review
from .reviews import HIDE_NEEDS_REASON
from .rules import REPLY_ALREADY, REPLY_EMPTY

REVIEW_SHOWN_FIELDS = [
    "listing",
    "guest",
    "booking",
    "overall",
    "space",
    "host",
    "value",
    "text",
    "created_at",
]


class ReviewAdminBase(ForgedParamsMixin, admin.ModelAdmin):
    list_display = ["__str__", "listing", "guest", "overall", "created_at", "is_hidden"]
    list_filter = ["overall"]

    def has_add_permission(self, request):
        return False  # only guests write reviews, on the site

    def has_delete_permission(self, request, obj=None):
        return False  # kept for the record: operators hide, hosts reply

    @admin.display(boolean=True, description="hidden")
    def is_hidden(self, obj):
        return obj.is_hidden


class HideForm(forms.ModelForm):
    hide = forms.BooleanField(required=False, label="Hidden from public pages")

    class Meta:
        model = Review
        fields = ["hidden_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hide"].initial = self.instance.is_hidden

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("hide") and not (cleaned.get("hidden_reason") or "").strip():
            self.add_error("hidden_reason", HIDE_NEEDS_REASON)
        return cleaned


@admin.register(Review)
class ReviewAdmin(ReviewAdminBase):
    """Operators read every review and hide (or show again) one, with a reason."""

    form = HideForm
    fields = [*REVIEW_SHOWN_FIELDS, "reply", "replied_at", "hide", "hidden_reason", "hidden_at"]
    readonly_fields = [*REVIEW_SHOWN_FIELDS, "reply", "replied_at", "hidden_at"]
    list_select_related = ["listing", "guest"]

    def save_model(self, request, obj, form, change):
        if form.cleaned_data["hide"]:
            reviews.review_hide(review=obj, reason=form.cleaned_data["hidden_reason"])
        elif obj.is_hidden:
            reviews.review_show(review=obj)


class ReplyForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["reply"]
        widgets = {"reply": forms.Textarea(attrs={"rows": 4})}
        labels = {"reply": "Your public reply (once)"}

    def clean_reply(self):
        reply = self.cleaned_data["reply"].strip()
        if not reply:
            raise ValidationError(REPLY_EMPTY)
        if Review.objects.filter(pk=self.instance.pk, replied_at__isnull=False).exists():
            raise ValidationError(REPLY_ALREADY)
        return reply


class HostReviewAdmin(ServiceRefusalMixin, ReviewAdminBase):
    """A host reads the reviews of their own spaces and replies once to each (a second
    reply posted at the same time is refused by the service, under the listing's lock)."""

    form = ReplyForm
    fields = [*REVIEW_SHOWN_FIELDS, "reply", "hidden_at"]
    list_select_related = ["listing", "guest"]

    def get_queryset(self, request):
        return selectors.host_reviews(host=request.user)

    readonly_fields = [*REVIEW_SHOWN_FIELDS, "hidden_at"]

    def has_change_permission(self, request, obj=None):
        # Replied: the review is only shown (a second reply is a 403, never saved).
        if obj is not None and obj.replied_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        reviews.review_reply(review=obj, host=request.user, text=form.cleaned_data["reply"])


host_site.register(Review, HostReviewAdmin)
