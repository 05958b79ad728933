from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("card/", views.card, name="card"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice, name="invoice"),
    path("invoices/<int:pk>/pay/", views.pay, name="pay"),
    path("bookings/<int:pk>/release/", views.release, name="release"),
    path("bookings/<int:pk>/deposit/", views.deposit, name="deposit"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
]
