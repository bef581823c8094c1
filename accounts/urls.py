from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        login_not_required(
            auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-step/", views.VerifyView.as_view(), name="mfa_verify"),
    path("two-step/enrol/", views.EnrolView.as_view(), name="mfa_enrol"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    # Public: the single-use link an administrator creates (UserAdmin.create_set_password_links).
    path("set-password/<uidb64>/<token>/", login_not_required(views.SetPasswordView.as_view()), name="set_password"),
]
