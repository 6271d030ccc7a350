"""Situations read from whole stories (issue 12): trouble abroad told in new ways, a fee asked of the
speaker before "is that right?", and ordinary lives that are no scam."""

from __future__ import annotations

import pytest

from actions.brokers.rules import BrokerRules
from actions.brokers.signs import read_situation
from actions.situations import SituationDetector
from bot.service import BotService, IncomingMessage
from knowledge.model import KnowledgeBase
from nlu.normalize import normalize


@pytest.fixture(scope="module")
def read(kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    rules, detector = BrokerRules.load(), SituationDetector.for_kb(kb)
    return lambda text: read_situation(rules, detector, normalize(text))[1:]


@pytest.mark.parametrize(
    "text",
    [
        # "ở nhà nói" holds no "Hà Nội": the boat is abroad
        "vo chong em lam tau ca han quoc, cty o nha noi khong lien lac duoc may tuan nay",
        # the employer's "if" is a threat, not the speaker's question
        "chi e la tts ben nhat, co bau, quan ly noi neu khong pha thai thi bat ve nuoc",
        # a lawful contract at the start does not settle what happened on arrival
        "em sang Malaysia theo hợp đồng làm nhà hàng mà tới nơi ép đi tiếp khách, giữ hộ chiếu, em muốn về",
        # a guesthouse over there is not home
        "bọn môi giới dắt 4 đứa sang Campuchia rồi bỏ đi, giờ tụi nó ở nhà nghỉ bên đó không biết làm gì",
        "sang Đức làm nông trại, quản lý người Việt trừ gần hết lương bảo tiền nhà, tháng này em còn có 100 euro",
        # "bao giờ về" asks when, it says no one is home
        "chu toi di tau ca bi bat o vung bien Indonesia, ca tau bi giu, khong biet bao gio ve nha",
        # someone escaped, the rest are still held
        "em trai tui bi dua sang Campuchia lam lua dao, mot dua tron ve roi, con lai van ket ben do",
        "chồng em làm vụ mùa bên Úc bị ngộ độc thuốc trừ sâu, đang cấp cứu",
        "vo toi sinh non o Han Quoc, vien phi hon 200 trieu, bao hiem khong tra",
        "no lam o Ha Khau ben Trung Quoc, bi mat giay thong hanh, khong qua cua khau ve duoc",
        "con gái chị ở Lào Cai bị lừa sang Trung Quốc ép lấy chồng, mới gọi về bằng máy người lạ",
        "tụi em 5 người qua Séc thì công ty không nhận, ở nhà trọ hết tiền, môi giới tắt máy",
        "bố mẹ tôi sang Nhật thăm cháu, bố bị đột quỵ vào viện, em tôi làm ở tỉnh khác chưa tới kịp",
        "bi cty o han cho nghi, ky tuc xa bat don di trong 2 ngay, e chua co cho o",
        "anh tôi ở Pháp bị cướp hết ví với giấy tờ, giờ không có gì trong người",
        "chồng tôi sang Canada theo visa lao động, chủ đuổi, giấy tờ chủ giữ, ngủ ngoài đường mấy đêm rồi",
        "chi toi di giup viec dai 4 nam, dao nay goi ve noi linh tinh, chu muon duoi ve",
        "em ở Hàn bị mất ví có cả hộ chiếu với thẻ cư trú, tháng sau em phải về nước rồi",
        "chồng em ở Thái bị bắt vì ở quá hạn, nghe nói phải nộp phạt mới được về",
        # care refused is no "lawful and fine"; "Indo" is a country
        "vợ tui qua Nhật bị máy cắt vào tay, công ty không cho đi viện đàng hoàng",
        "ba tui di ghe bi bat o Indo, nha o Kien Luong, lam sao nho nha nuoc giup",
    ],
)
def test_trouble_abroad_told_in_new_ways_is_urgent(read, text: str) -> None:  # type: ignore[no-untyped-def]
    assert read(text)[1] is True


@pytest.mark.parametrize(
    "text",
    [
        "thầy dạy tiếng Trung bảo nộp 15 triệu thầy xin cho vào xưởng bên Vân Nam, "
        "qua cửa khẩu bằng giấy thông hành, như thế có đúng không",
        "trưởng bản nói nhà nào đưa 10 triệu thì được ưu tiên vào danh sách đi làm nước ngoài, có đúng quy định không",
        "vừa chuyển 30 triệu cho công ty ở Lào Cai, giờ họ nhắn đổi sang tài khoản khác và bảo chuyển thêm",
        "ông môi giới rủ đi Ba Lan theo diện visa lịch sử, đóng 10 nghìn đô, sang rồi tự lo giấy phép, có thật không",
        "ngay hoi viec lam co nguoi thu 3 trieu dang ky di nhat, dua bien lai viet tay, khong co dau cong ty",
        "nghe bảo đi Hàn diện kỹ năng không cần thi, nộp 7 nghìn đô là xong, có đúng không",
        "cty tuyen di Ba Lan chi lien lac qua zalo, chua ai gap mat, bao chuyen tien lam ho so",
        "người ta dặn em khai là chưa từng đi nước ngoài, giấu chuyện bị trục xuất, để xin visa lại, có sao không",
        "co ghe di Uc dong 250 trieu, toi do xin o lai roi lam, co nen di ko",
        "văn phòng treo biển trung tâm việc làm của tỉnh thu tiền tư vấn đi Nhật 8 triệu, thế có đúng không",
    ],
)
def test_a_fee_asked_of_the_speaker_is_warned_though_the_message_ends_in_a_question(read, text: str) -> None:  # type: ignore[no-untyped-def]
    assert read(text)[0] is True


@pytest.mark.parametrize(
    "text",
    [
        "chị em quen anh người Đài 3 năm rồi, giờ cưới thật, muốn sang bên đó sống thì làm thủ tục gì",
        "em ký với công ty có giấy phép, đã nộp theo hợp đồng, giờ đổi ý không đi nữa thì tiền có được trả lại không",
        "nhà em vay tiền hàng xóm lãi cao quá trả không nổi, người ta đòi kiện, không liên quan xuất khẩu lao động",
        "con tôi làm ở Hàn muốn chuyển sang chỗ làm khác cho đúng thủ tục để không bị phạm luật thì làm sao",
        "thấy thông báo tuyển đi Hàn trên trang của sở nội vụ, đăng ký thế nào",
        "báo đăng vụ người bị lừa sang Myanmar, tôi lo quá, dặn con thế nào cho nó khỏi bị dụ",
        "bị thu hồi đất làm đường, đền bù xong cả nhà không có việc, tỉnh có giúp không",
        "em đang ở nhà, hộ chiếu sắp hết hạn, muốn làm lại để đi Hàn theo hợp đồng đã ký",
        "cả nhà định đi du lịch Thái Lan chơi 4 ngày, không đi làm gì hết, có cần giấy gì không",
        "con gái tôi sang Đài rồi, mọi việc vẫn ổn, cho tôi xin số đường dây nóng lỡ có chuyện",
        "ông cò đất ở Rạch Giá đòi cọc 30 triệu giữ lô, tôi muốn học nghề môi giới nhà đất cho đàng hoàng",
        "tui lam thue o vua ca Tac Cau, chu tra thieu luong, co bao duoc khong",
        "con trai tôi ở Nhật lấy vợ bên đó, sống tốt, muốn bảo lãnh bố mẹ qua chơi",
        "xem phim thấy người ta trốn trong container sang Anh, ngoài đời có thật không",
        "nghe nói người ở lại Hàn bất hợp pháp bị phạt, vậy người ở lại có ảnh hưởng gì người đi sau không",
        "công ty xin bản photo hộ chiếu để làm hồ sơ, em chỉ đưa bản photo thôi, có sao không",
        "con tôi hết visa ở Đài tháng sau nhưng đã mua vé về trước 1 tuần rồi, ra sân bay cần làm gì",
        "cty A thu 120tr, cty B thu 100tr, ca hai deu co giay phep, nen chon ben nao",
        "con tôi nó bảo không cần học bồi dưỡng cũng đi được, đúng không",
        "dua nho o xa ben bi cha me bo, o voi ba ngoai, co ai giup nuoi no khong",
        "cong ty khong ky hop dong voi em, lam 8 thang roi van la thu viec, quyen loi the nao",
        "công ty em giữ căn cước của công nhân mới để làm hồ sơ, có đúng quy định lao động không",
        "hồi trước có người rủ em đi chui sang Lào nhưng em từ chối, giờ em muốn học nghề",
        "nguoi ta di Campuchia buon ban o cua khau, di ve trong ngay bang giay thong hanh, co phai di lao dong ko",
        "con tôi chuẩn bị sang Nhật, tỉnh có dạy cho nó văn hóa với luật bên ấy trước không",
        # a child beaten at home: the child's protection, no broker
        "đứa nhỏ xóm tui bị ba dượng đánh với bỏ đói hoài, tui muốn báo thì báo sao",
        # an old trouble, solved: no alarm now
        "anh em lam o han, ban cung phong tung bi giu ho chieu nhung da giai quyet xong, dan em nho giu giay to",
    ],
)
def test_ordinary_lives_are_neither_warned_nor_urgent(read, text: str) -> None:  # type: ignore[no-untyped-def]
    assert read(text) == (False, False)


def test_a_look_alike_of_an_official_page_is_still_warned(read) -> None:  # type: ignore[no-untyped-def]
    assert read("trên Facebook có trang tên y chang trung tâm dịch vụ việc làm tỉnh, thu phí 3 triệu đăng ký đi Hàn")[0]


async def test_after_trouble_abroad_what_happens_once_home_is_answered_on_its_own(service: BotService) -> None:
    first = await service.handle(
        IncomingMessage("web", "w9", "em trai tôi bị giữ hộ chiếu ở Campuchia, bị ép làm lừa đảo")
    )
    assert first.outcome.kind == "urgent"
    home = await service.handle(
        IncomingMessage("web", "w9", "nếu nó về được tới Lào Cai thì tỉnh có giúp nó tìm việc không")
    )
    assert home.outcome.kind != "urgent" and home.outcome.entry in ("lc_lao_dong_tro_ve", "vn_lao_dong_tro_ve")
