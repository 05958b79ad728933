// Confirm, on-session, the PaymentIntent the guest's bank asked about (3-D Secure); the
// server then asks Stripe how it stands (never the browser).
(function () {
  const form = document.getElementById("pay-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const errors = document.getElementById("pay-errors");
  let confirmed = false;
  let paying = false;
  form.addEventListener("submit", async (event) => {
    if (confirmed) return; // Stripe.js is done: let the form post
    event.preventDefault();
    if (paying) return;
    paying = true;
    errors.textContent = "";
    const data = form.dataset.paymentMethod ? { payment_method: form.dataset.paymentMethod } : {};
    const result = await stripe.confirmCardPayment(form.dataset.clientSecret, data);
    if (result.error) {
      errors.textContent = result.error.message || "Your bank did not confirm the payment.";
      paying = false;
      return;
    }
    confirmed = true;
    form.submit();
  });
})();
