from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", login_not_required(views.LoginView.as_view()), name="login"),
    # Public: ask for a one-time sign-in link by e-mail, and the page behind that link.
    path("login/link/", login_not_required(views.SignInLinkRequestView.as_view()), name="sign_in_link_request"),
    path("login/link/<token>/", login_not_required(views.SignInLinkView.as_view()), name="sign_in_link"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-step/", views.VerifyView.as_view(), name="mfa_verify"),
    path("two-step/enrol/", views.EnrolView.as_view(), name="mfa_enrol"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    # Public: the single-use link an administrator creates (UserAdmin.create_set_password_links).
    path("set-password/<uidb64>/<token>/", login_not_required(views.SetPasswordView.as_view()), name="set_password"),
]
