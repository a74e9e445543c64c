// Submits the authorization response to the client (OAuth 2.0 Form Post
// Response Mode); without JavaScript the person presses the button.
document.addEventListener("DOMContentLoaded", function () {
  document.getElementById("authorization-response").submit();
});
