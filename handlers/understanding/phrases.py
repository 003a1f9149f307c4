"""What each meaning sounds like: cue phrases with weights, in proper Vietnamese.

Normalised once on first use (`handlers.understanding.normalise`), so "khiếu nại" here also
matches "khieu nai", "khiu nại" (after typo correction) and "KHIẾU NẠI!!!". A phrase may cue
several meanings ("đại biểu" is both a meeting and a question for a delegate); the longest
phrase wins where phrases overlap, so "không đồng ý" is a no, never a yes.

Weights: 5 names the meaning outright ("đối thoại", "tố cáo"); 3–4 a strong cue; 1–2 a hint
that only counts with others.
"""

from __future__ import annotations

Cue = tuple[str, tuple[tuple[str, float], ...]]


def _cues(meaning: str, weight: float, *phrases: str) -> list[Cue]:
    return [(phrase, ((meaning, weight),)) for phrase in phrases]


# Words that carry no request: politeness, particles, people addressed. A message made only
# of these and short answers is a greeting, a yes or a no.
def words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


FILLERS = words_of(
    "da a oi nhe nha nhen nghen vay di gium dum giup voi chau con em anh chi chu bac ong ba "
    "ban toi minh can bo ad admin thua luon do ne hen ha cai nay ma thi la nhi kinh gui dau "
    "xa ubnd ui nua"
)
# Fillers that, alone, are an answer: "dạ", "vâng".
FILLER_YES = frozenset({"da", "vang"})

SHORT_MEANINGS = ("cancel", "no", "yes", "greeting")

CUES: list[Cue] = [
    # --- short answers and moves -----------------------------------------------------------
    *_cues("yes", 3, "có", "vâng", "ừ", "ờ", "u", "ok", "đúng", "đúng rồi", "phải", "phải rồi",
           "được", "đồng ý", "chính xác", "rồi", "yes", "ừm", "chuẩn", "đúng vậy", "có chứ",
           "được rồi", "gửi đi", "đúng đó", "chắc chắn", "ừ đúng rồi", "uhm"),
    *_cues("no", 3, "không", "chưa", "không phải", "sai", "sai rồi", "không đúng",
           "không đồng ý", "no", "không có", "hong", "đâu có", "không muốn", "không cần",
           "không phải đâu", "chưa có", "nope", "chưa đâu"),
    # "dừng" (stop) and "đúng" (right) fold alike: "dung" alone is read as the yes, and only
    # "dung lai" typed without accents as the stop.
    *_cues("cancel", 4, "hủy", "hủy bỏ", "thôi", "thôi khỏi", "khỏi", "ngưng lại", "dung lai",
           "thoát", "quay lại", "trở lại", "bỏ đi", "bỏ qua", "không cần nữa", "không gửi nữa",
           "không làm nữa", "thôi không", "cancel", "stop", "hủy giùm", "thôi bỏ đi",
           "không gửi", "ngưng", "khỏi gửi", "khỏi cần", "thôi gửi"),
    *_cues("greeting", 3, "chào", "xin chào", "alo", "hello", "hi", "helo", "chào buổi sáng",
           "chào buổi chiều", "chào buổi tối", "có ai không", "chào cô", "chào chú", "chào bà",
           "chào ông", "chào anh", "chào chị", "chào em", "chào cháu", "chào con", "chào bạn",
           "chào xã", "chào cán bộ", "hế lô", "xin chào cô", "xin chào anh", "chào các bạn",
           "alo alo"),
    # --- complaints and denunciations: never a plain petition -----------------------------
    *_cues("complaint", 5, "khiếu nại", "khiếu kiện", "đơn khiếu nại", "thưa kiện",
           "muốn thưa kiện", "đi thưa kiện",
           "làm đơn khiếu nại", "không đồng ý với quyết định", "không đồng ý quyết định"),
    *_cues("complaint", 3, "kn", "kiện", "phạt sai", "xử phạt sai", "không thỏa đáng",
           "trả lời không thỏa đáng", "cưỡng chế", "giải quyết không đúng",
           "quyết định sai"),
    *_cues("denunciation", 5, "tố cáo", "tố giác", "đơn tố cáo", "muốn thưa", "đi thưa",
           "thưa ông", "thưa bà", "hối lộ", "tham nhũng", "tham ô", "ăn chặn", "ăn bớt",
           "vòi tiền", "lạm quyền", "biển thủ", "bao che", "nhận tiền của", "đòi tiền",
           "lấy tiền của dân", "chiếm đất công", "danh sách khống", "lập khống",
           "ăn tiền", "buôn bán ma túy", "rút ruột"),
    # --- petitions: explicit words (the subject comes from the field words) ---------------
    *_cues("petition", 3, "kiến nghị", "phản ánh", "đề nghị", "góp ý", "gửi kiến nghị",
           "gửi phản ánh", "nhờ xã", "xin xã", "đề nghị xã", "kính gửi ủy ban", "báo xã",
           "xin hỏi", "cho hỏi", "muốn hỏi", "hỏi về"),
    *_cues("petition", 2, "bị hư", "hư hỏng", "hư", "hỏng", "xuống cấp", "nguy hiểm",
           "chưa được", "không được", "mấy tháng nay", "tháng nay", "lâu rồi", "hoài",
           "quá trời", "sửa giùm", "xin", "tai nạn", "ý kiến", "chờ hoài",
           "chưa có kết quả"),
    # --- my petitions (no code) -----------------------------------------------------------
    *_cues("my_petitions", 5, "kiến nghị của tôi", "đơn của tôi", "phản ánh của tôi",
           "phản ánh của mình", "kiến nghị đã gửi", "đơn đã gửi", "các đơn", "các kiến nghị",
           "ý kiến tôi gửi", "danh sách đơn", "mã đơn", "xem lại đơn", "đơn tôi gửi",
           "kiến nghị tôi đã gửi", "các phản ánh", "kiến nghị của mình", "đơn của mình"),
    *_cues("my_petitions", 3, "tới đâu rồi", "đến đâu rồi", "sao rồi", "trả lời chưa",
           "đã gửi", "giải quyết chưa", "chưa thấy ai trả lời", "rồi mà chưa",
           "có trả lời chưa", "trả lời kiến nghị", "xong chưa", "tra cứu", "im re"),
    *_cues("my_petitions", 5, "chưa thấy ai trả lời", "chưa thấy trả lời", "chưa ai trả lời",
           "chưa được trả lời", "có ai trả lời chưa"),
    # --- petition status (a code is found separately; these make a bare number a code) ----
    *_cues("petition_status", 2, "mã số", "số đơn"),
    # --- voter-contact meetings -----------------------------------------------------------
    *_cues("meetings", 5, "tiếp xúc cử tri", "lịch họp", "lịch tiếp xúc", "họp cử tri",
           "họp dân", "gặp đại biểu", "cuộc họp với đại biểu", "lịch gặp đại biểu",
           "họp tiếp xúc"),
    *_cues("meetings", 3, "tiếp xúc", "cuộc họp", "hội nghị", "gặp dân", "về ấp",
           "xuống tiếp xúc", "kỳ họp", "cử tri", "đi họp", "họp"),
    *_cues("meetings", 1, "khi nào", "chừng nào", "bữa nào", "ngày nào", "lịch", "sắp tới",
           "tuần sau", "tháng này"),
    # --- a question for a delegate or a meeting -------------------------------------------
    *_cues("meeting_question", 7, "hỏi đại biểu", "câu hỏi cho đại biểu", "nhờ đại biểu",
           "ý kiến cho đại biểu", "ý kiến tới đại biểu", "gửi ý kiến tới đại biểu",
           "gửi câu hỏi", "đặt câu hỏi", "có câu hỏi", "câu hỏi cho cuộc họp",
           "nêu ý kiến", "phát biểu", "gửi giùm câu hỏi", "câu hỏi cho", "chất vấn",
           "đại biểu trả lời", "hỏi đại biểu hội đồng nhân dân"),
    *_cues("meeting_question", 2, "đại biểu", "đại biểu hội đồng nhân dân", "hdnd",
           "hội đồng nhân dân"),
    *_cues("meetings", 2, "đại biểu", "đại biểu hội đồng nhân dân", "hdnd",
           "hội đồng nhân dân"),
    # --- poverty-policy dialogue ----------------------------------------------------------
    *_cues("dialogue", 7, "đối thoại", "đăng ký đối thoại", "phiếu yêu cầu đối thoại",
           "đối thoại chính sách", "họp đối thoại", "đối thoại giảm nghèo",
           "đối thoại hộ nghèo", "xóa đói giảm nghèo"),
    *_cues("dialogue", 2, "hộ nghèo", "cận nghèo", "thoát nghèo", "giảm nghèo", "ghi tên",
           "ghi danh", "đăng ký", "tham gia"),
    # --- help and contact -----------------------------------------------------------------
    *_cues("help", 5, "số điện thoại", "điện thoại", "địa chỉ", "giờ làm việc", "hướng dẫn",
           "trợ giúp", "liên hệ", "không biết dùng", "không biết xài", "cách dùng",
           "sử dụng", "làm được gì", "lịch tiếp công dân", "tiếp công dân",
           "mấy giờ mở cửa", "help", "giúp tôi với", "bot này", "xài cái này",
           "dùng cái này", "văn phòng xã", "giờ giấc", "ở chỗ nào", "có ai trực"),
    *_cues("help", 2, "ở đâu", "chỗ nào", "trực", "ủy ban", "mấy giờ", "thứ bảy", "chủ nhật",
           "làm việc", "xài sao", "dùng sao", "không biết"),
    *_cues("meetings", 1, "ở đâu", "mấy giờ"),
    # --- personal data --------------------------------------------------------------------
    *_cues("my_data", 6, "dữ liệu của tôi", "thông tin cá nhân", "thông tin của tôi",
           "lưu thông tin gì", "lưu gì", "giữ những gì", "xuất dữ liệu", "hồ sơ của tôi",
           "dữ liệu cá nhân", "thông tin gì về tôi", "thông tin đã khai", "lưu những gì",
           "lưu những thông tin", "thông tin gì"),
    *_cues("forget_me", 8, "xóa", "xóa dữ liệu", "xóa thông tin", "xóa tài khoản",
           "quên tôi", "rút lại đồng ý", "rút lại sự đồng ý", "đừng lưu", "không lưu",
           "xóa hết", "không muốn dùng nữa", "đừng giữ", "không giữ"),
    *_cues("forget_me", 2, "hủy đăng ký"),
    # --- hamlet ---------------------------------------------------------------------------
    *_cues("change_hamlet", 8, "đổi ấp", "chuyển ấp", "sai ấp", "nhầm ấp", "đổi thôn",
           "chuyển thôn", "chuyển qua ấp", "chuyển sang ấp", "chuyển về ấp", "dọn về ấp",
           "dọn qua ấp", "cập nhật lại ấp", "cập nhật ấp", "đổi tổ dân phố",
           "thay đổi tổ dân phố", "đổi khu phố", "thay đổi ấp", "không phải ấp",
           "chọn lại ấp", "đổi xóm", "đổi lại ấp", "sửa lại ấp", "sửa ấp", "chuyển lại ấp"),
    *_cues("change_hamlet", 3, "ấp nơi tôi ở", "chuyển nhà", "mới chuyển", "dọn nhà",
           "chứ không phải"),
    *_cues("change_hamlet", 2, "tôi ở ấp", "tôi ở thôn"),
]

# "cho tui hỏi", "cho bà phản ánh": the person in the middle must not hide the cue.
_PEOPLE = ("tôi", "bà", "ông", "con", "cháu", "em", "mình", "cô", "chú", "bác", "anh", "chị")
CUES += [
    cue
    for person in _PEOPLE
    for cue in _cues("petition", 3, f"cho {person} hỏi", f"cho {person} phản ánh",
                     f"cho {person} kiến nghị", f"{person} muốn hỏi", f"xin cho {person} hỏi")
]

# "xin chào cán bộ": the longer greeting must not leave "xin" behind as a petition.
_ADDRESSED = ("cô", "chú", "bà", "ông", "anh", "chị", "em", "cháu", "con", "bạn", "xã",
              "cán bộ", "ad", "các bạn", "cả nhà")
CUES += [cue for who in _ADDRESSED for cue in _cues("greeting", 3, f"xin chào {who}")]
# "mấy cái đơn bà gửi", "kiến nghị tui đã gửi": the sender between the noun and the verb.
CUES += [
    cue
    for noun in ("đơn", "kiến nghị", "phản ánh", "ý kiến")
    for person in _PEOPLE
    for cue in _cues("my_petitions", 5, f"{noun} {person} gửi", f"{noun} {person} đã gửi",
                     f"{noun} của {person}")
]

# Off-topic talk: buying, selling, chatting. Counted against a weak petition reading, so
# "bán cho tui 2 bao lúa giống" is not a petition about agriculture.
OFF_TOPIC = "off_topic"
CUES += _cues(OFF_TOPIC, 4, "bán cho", "mua giùm", "giá bao nhiêu", "ăn cơm", "ngủ chưa",
              "kết bạn", "haha", "hihi", "trời mưa", "thời tiết", "xổ số", "bóng đá",
              "đẹp trai", "dễ thương", "người yêu", "chơi game")

# Phrases that mean nothing by themselves but must not be read as shorter cues inside them:
# "điện thoại" is not about electricity, "ý kiến" is not a lawsuit ("kiện").
NEUTRAL = ("gọi điện", "có thể", "được không", "làm việc ở nước ngoài", "đi làm việc")
