// The dashboard's buttons call the sandbox's JSON controls (same origin), then show the result.
"use strict";

async function control(button) {
  const init = { method: "POST", headers: {} };
  let body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
  if (button.dataset.seconds) {
    body = { seconds: Number(document.getElementById(button.dataset.seconds).value) };
  }
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const message = document.getElementById("message");
  button.disabled = true;
  try {
    const answer = await fetch(button.dataset.control, init);
    if (!answer.ok) {
      message.textContent = "HTTP " + answer.status + ": " + (await answer.text());
      button.disabled = false;
      return;
    }
  } catch (e) {
    message.textContent = String(e);
    button.disabled = false;
    return;
  }
  // A resent callback is delivered in the background: give it a moment before showing it.
  setTimeout(() => location.reload(), button.dataset.settle ? Number(button.dataset.settle) : 0);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-control]");
  if (button) {
    event.preventDefault();
    control(button);
  }
});
