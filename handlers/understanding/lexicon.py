"""Words that name a petition's field (lĩnh vực), per field code of the demo commune.

Written in proper Vietnamese and normalised when first used, so one entry matches every way
of typing it. Weights: 2 for words that belong to one field only ("sổ đỏ", "cúp điện"),
1 for words shared or vague ("đất", "nước"). Communes with other field codes rely on the
trained model (`model.py`); this list only covers the codes in `storage/demo.py`.
"""

from __future__ import annotations

FIELD_WORDS: dict[str, tuple[tuple[str, float], ...]] = {
    "land": (
        ("đất", 1), ("đất đai", 2), ("sổ đỏ", 2), ("sổ hồng", 2), ("giấy chứng nhận", 1),
        ("quyền sử dụng đất", 2), ("lấn đất", 2), ("lấn chiếm", 2), ("lấn ranh", 2),
        ("ranh đất", 2), ("ranh giới", 2), ("tranh chấp đất", 2), ("thu hồi đất", 2), ("đền bù", 2),
        ("bồi thường", 2), ("giải tỏa", 2), ("quy hoạch", 2), ("địa chính", 2), ("đo đạc", 2),
        ("đo lại", 1), ("môi trường", 2), ("ô nhiễm", 2), ("rác", 1), ("rác thải", 2),
        ("bãi rác", 2), ("đổ rác", 2), ("nước thải", 2), ("xả thải", 2), ("hôi thối", 2),
        ("bốc mùi", 2), ("mùi hôi", 2), ("khói", 1), ("bụi", 1), ("khai thác cát", 2),
        ("sạt lở", 1), ("tài nguyên", 2), ("nền nhà", 1), ("nhiễm phèn", 2), ("nước giếng", 2),
        ("đất công", 2), ("mồ mả", 1), ("cây xanh", 1),
    ),
    "transport": (
        ("đường", 1), ("con đường", 2), ("đường sá", 2), ("đường đal", 2), ("đal", 2),
        ("bê tông", 2), ("trải nhựa", 2), ("ổ gà", 2), ("lún", 2), ("lầy lội", 2), ("sình lầy", 2),
        ("cầu", 1), ("cây cầu", 2), ("cầu khỉ", 2), ("ống cống", 2), ("cống thoát nước", 2),
        ("nghẹt cống", 2), ("cống bị nghẹt", 2), ("mương", 1), ("kênh", 1), ("nạo vét", 2),
        ("thủy lợi", 2), ("bờ đê", 2), ("đê bao", 2), ("bờ bao", 2), ("biển báo", 2),
        ("giao thông", 2), ("xe tải", 1), ("ngập", 2), ("thoát nước", 2), ("xây dựng", 1),
        ("giấy phép xây dựng", 2), ("vỉa hè", 2), ("lề đường", 2), ("liên ấp", 2), ("nâng cấp", 1),
        ("làm đường", 2), ("sửa đường", 2), ("nứt", 1), ("bể nát", 1), ("bể từng mảng", 2),
        ("đường ống nước", 2), ("nước máy", 2), ("bến đò", 2), ("xuống cấp", 1), ("hẻm", 1),
    ),
    "agriculture": (
        ("lúa", 2), ("ruộng", 2), ("giống lúa", 2), ("lúa giống", 2), ("phân bón", 2),
        ("thuốc trừ sâu", 2), ("rầy", 2), ("sâu bệnh", 2), ("heo", 2), ("gà", 1), ("vịt", 1),
        ("nuôi bò", 2), ("trâu", 2), ("chăn nuôi", 2), ("thú y", 2), ("cúm gia cầm", 2),
        ("gia cầm", 2), ("dịch tả", 2), ("vườn", 1), ("cây trồng", 2), ("trái cây", 2),
        ("nuôi cá", 2), ("ao cá", 2), ("thủy sản", 2), ("khuyến nông", 2), ("nông dân", 2),
        ("vụ mùa", 2), ("thu hoạch", 2), ("rừng", 2), ("lâm nghiệp", 2), ("máy cày", 2),
        ("mùa vụ", 2), ("nông nghiệp", 2), ("hạn mặn", 2), ("xoài", 2), ("sầu riêng", 2),
        ("bắp", 1), ("mía", 2), ("gặt", 2), ("đông xuân", 2), ("hè thu", 2),
    ),
    "social": (
        ("hộ nghèo", 2), ("cận nghèo", 2), ("thoát nghèo", 2), ("trợ cấp", 2), ("hỗ trợ", 1),
        ("tiền hỗ trợ", 2), ("người cao tuổi", 2), ("khuyết tật", 2), ("bảo trợ xã hội", 2),
        ("chính sách", 1), ("thương binh", 2), ("liệt sĩ", 2), ("người có công", 2),
        ("gia đình chính sách", 2), ("vay vốn", 2), ("ngân hàng chính sách", 2),
        ("xuất khẩu lao động", 2), ("việc làm", 2), ("học nghề", 2), ("đào tạo nghề", 2),
        ("thẻ bảo hiểm y tế", 2), ("nhà tình thương", 2), ("nhà đại đoàn kết", 2), ("cứu trợ", 2),
        ("lãnh tiền", 1), ("lương hưu", 2), ("mồ côi", 2), ("neo đơn", 2), ("sửa nhà", 1),
        ("sập nhà", 1), ("sập mái", 1), ("nhà bị sập", 1), ("thuộc diện", 1),
        ("trợ giúp xã hội", 2), ("tuổi già", 1), ("già yếu", 1), ("thất nghiệp", 2),
    ),
    "culture": (
        ("nhà trường", 2), ("trường học", 2), ("trường tiểu học", 2), ("học sinh", 2),
        ("giáo viên", 2), ("cô giáo", 2), ("học phí", 2), ("mẫu giáo", 2), ("đi học", 1),
        ("trạm y tế", 2), ("bác sĩ", 2), ("bệnh", 1), ("khám bệnh", 2), ("thuốc", 1),
        ("bệnh viện", 2), ("tiêm chủng", 2), ("tiêm ngừa", 2), ("sốt xuất huyết", 2),
        ("văn hóa", 2), ("nhà văn hóa", 2), ("lễ hội", 2), ("karaoke", 2), ("loa", 2), ("ồn ào", 1),
        ("tiếng ồn", 1), ("thể thao", 2), ("sân bóng", 2), ("thư viện", 2), ("ngôi chùa", 1),
        ("di tích", 2), ("y tế", 2), ("sách giáo khoa", 2), ("nhà trẻ", 2), ("muỗi", 1), ("hát", 1),
        ("tập thể dục", 2),
    ),
    "power": (
        ("điện", 2), ("cúp điện", 2), ("mất điện", 2), ("cột điện", 2), ("dây điện", 2),
        ("đèn đường", 2), ("đèn", 1), ("trạm biến áp", 2), ("điện lực", 2), ("tiền điện", 2),
        ("công tơ", 2), ("sóng điện thoại", 2), ("mất sóng", 2), ("sóng yếu", 2),
        ("không có sóng", 2), ("internet", 2), ("rớt mạng", 2), ("mạng yếu", 2), ("wifi", 2),
        ("viễn thông", 2), ("cáp quang", 2), ("điện câu nhờ", 2), ("chập chờn", 1), ("điện yếu", 2),
        ("kéo điện", 2), ("tối hù", 1),
    ),
    "security": (
        ("trộm", 2), ("ăn trộm", 2), ("ăn cắp", 2), ("cướp", 2), ("đánh nhau", 2), ("đánh lộn", 2),
        ("ma túy", 2), ("cờ bạc", 2), ("đá gà", 2), ("số đề", 2), ("say xỉn", 2), ("nhậu", 1),
        ("gây rối", 2), ("lạng lách", 2), ("đua xe", 2), ("an ninh", 2), ("trật tự", 2),
        ("công an", 1), ("tuần tra", 2), ("lừa đảo", 2), ("đa cấp", 2), ("người lạ", 2),
        ("bạo lực gia đình", 2), ("quậy phá", 2), ("côn đồ", 2), ("chó thả rông", 2),
        ("hăm dọa", 2), ("lừa người", 2), ("tụ tập", 1),
    ),
    "admin": (
        ("thủ tục", 2), ("giấy tờ", 1), ("hồ sơ", 1), ("khai sinh", 2), ("khai tử", 2),
        ("kết hôn", 2), ("hộ khẩu", 2), ("tạm trú", 2), ("cư trú", 2), ("căn cước", 2),
        ("chứng thực", 2), ("công chứng", 2), ("xác nhận", 1), ("một cửa", 2),
        ("giấy phép kinh doanh", 2), ("trễ hẹn", 2), ("đi lại nhiều lần", 2), ("trích lục", 2),
        ("dịch vụ công", 2), ("nộp hồ sơ", 2), ("con dấu", 2), ("ký tên", 1), ("làm giấy", 2),
        ("chữ ký", 1), ("định danh", 2), ("vneid", 2),
    ),
    "other": (
        ("góp ý", 1), ("chợ xã", 2), ("họp chợ", 2), ("ban quản lý chợ", 2), ("cái chợ", 2),
        ("trang thông tin", 2), ("website", 2), ("để xe", 1), ("lễ kỷ niệm", 2), ("nghĩa trang", 1),
        ("đề xuất", 1),
    ),
}
