// Host admin: show a thumbnail of a photo as soon as it is chosen, before it is uploaded.
"use strict";
document.addEventListener("change", function (event) {
  const input = event.target;
  if (!input.matches || !input.matches("input.photo-upload") || !input.files) {
    return;
  }
  let img = input.parentElement.querySelector("img.photo-upload-preview");
  const file = input.files[0];
  if (!file || !file.type.startsWith("image/")) {
    if (img) {
      img.remove();
    }
    return;
  }
  if (!img) {
    img = document.createElement("img");
    img.className = "photo-upload-preview";
    img.width = 160;
    img.alt = "Preview of the photo you chose";
    input.insertAdjacentElement("afterend", img);
  }
  if (img.dataset.url) {
    URL.revokeObjectURL(img.dataset.url);
  }
  img.dataset.url = URL.createObjectURL(file);
  img.src = img.dataset.url;
});
