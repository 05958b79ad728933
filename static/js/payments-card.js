// Save a card with Stripe Elements and a SetupIntent; the server then asks Stripe for it.
(function () {
  const form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const errors = document.getElementById("card-errors");
  let saving = false;
  form.addEventListener("submit", async (event) => {
    if (form.elements.setup_intent.value) return; // confirmed: let the form post
    event.preventDefault();
    if (saving) return;
    saving = true;
    errors.textContent = "";
    const result = await stripe.confirmCardSetup(form.dataset.clientSecret, {
      payment_method: { card: card },
    });
    if (result.error) {
      errors.textContent = result.error.message || "Your card was not saved.";
      saving = false;
      return;
    }
    form.elements.setup_intent.value = result.setupIntent.id;
    form.submit();
  });
})();
