"""The field taxonomy (lĩnh vực), from Resolution 02-NQ/TU and the signed programmes (DOMAIN.md §1)."""

from django.db import transaction

from communes.reference_data import LoadResult
from core.upsert import upsert

from .models import Field

FIELDS = [
    ("party-building", "Xây dựng Đảng và hệ thống chính trị", "Party building and the political system"),
    ("cadre-training", "Đào tạo, bồi dưỡng cán bộ", "Training of cadres"),
    (
        "state-management",
        "Quản lý nhà nước về phát triển kinh tế, văn hóa – xã hội",
        "State management of economic, cultural and social development",
    ),
    ("mass-mobilisation", "Công tác dân vận", "Mass mobilisation"),
    (
        "legal-propaganda",
        "Tuyên truyền pháp luật, tiếp công dân, giải quyết khiếu nại, tố cáo",
        "Legal propaganda, citizen reception, complaints and denunciations",
    ),
    ("council-supervision", "Kỹ năng giám sát của Hội đồng nhân dân", "People's Council supervision skills"),
    (
        "digital-transformation",
        "Cải cách hành chính, chuyển đổi số, hạ tầng công nghệ thông tin",
        "Administrative reform, digital transformation and IT infrastructure",
    ),
    (
        "economy",
        "Phát triển kinh tế, kinh tế tư nhân, kinh tế hộ, ngân sách",
        "Economic development, private and household economy, state budget",
    ),
    ("health", "Y tế", "Health"),
    ("education", "Giáo dục", "Education"),
    ("housing", "Nhà ở (nhà tình nghĩa, nhà đại đoàn kết)", "Housing (gratitude and solidarity houses)"),
    ("social-security", "Giảm nghèo và an sinh xã hội", "Poverty reduction and social security"),
    ("culture-tourism", "Văn hóa, di sản và quảng bá du lịch", "Culture, heritage and tourism promotion"),
    ("ocop", "Sản phẩm đặc trưng, OCOP và kết nối thị trường", "Local specialty products, OCOP and market access"),
    ("environment", "Trật tự xây dựng và vệ sinh môi trường", "Construction order and environmental sanitation"),
]


# Short names (Excel sheet names: 31 characters at most, whole words).
SHORT_NAMES = {
    "party-building": "Xây dựng Đảng",
    "cadre-training": "Đào tạo cán bộ",
    "state-management": "Quản lý nhà nước",
    "mass-mobilisation": "Dân vận",
    "legal-propaganda": "Pháp luật, tiếp dân",
    "council-supervision": "Giám sát của HĐND",
    "digital-transformation": "CCHC, chuyển đổi số",
    "economy": "Kinh tế, ngân sách",
    "health": "Y tế",
    "education": "Giáo dục",
    "housing": "Nhà ở",
    "social-security": "Giảm nghèo, an sinh xã hội",
    "culture-tourism": "Văn hóa, du lịch",
    "ocop": "Sản phẩm OCOP, thị trường",
    "environment": "Xây dựng, môi trường",
}


@transaction.atomic
def load_fields() -> LoadResult:
    result = LoadResult()
    for order, (code, name, name_en) in enumerate(FIELDS, start=1):
        values = {"name": name, "name_en": name_en, "order": order, "short_name": SHORT_NAMES.get(code, "")}
        _, created, changed = upsert(Field, {"code": code}, values)
        result.count(created, changed)
    return result
