"use strict";
// The login form: fetch the pre-session CSRF token, then post the name and password as JSON.
(function () {
  let csrf = "";
  const form = document.getElementById("login-form");
  const message = document.getElementById("login-error");

  function show(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  fetch("/api/login", { credentials: "same-origin" })
    .then((r) => r.json())
    .then((data) => { csrf = data.csrf || ""; })
    .catch(() => show("无法连接服务器，请稍后刷新重试。"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    show("");
    const name = document.getElementById("name");
    const password = document.getElementById("password");
    const body = { name: name.value, password: password.value };
    try {
      const response = await fetch("/api/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        window.location.assign("/");
        return;
      }
      show(data.error || "登录失败，请重试。");
      password.value = "";
      password.focus();
    } catch (e) {
      show("无法连接服务器，请稍后重试。");
    }
  });
})();
