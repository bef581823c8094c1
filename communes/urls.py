app_name = "communes"

urlpatterns = []
