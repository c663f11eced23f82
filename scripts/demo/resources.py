"""Resources of all six types with real small files, through upload, initial and scientific review: most
published, one rejected with the reviewer's reason, one left waiting in each queue."""
from concurrent.futures import ThreadPoolExecutor

from scripts.demo import media

PUBLISHED, PENDING_INITIAL, PENDING_SCIENTIFIC = "approved", None, "initial only"
# title, type, keywords, description, topics, file maker, decision ("approved", "rejected: reason",
# PENDING_SCIENTIFIC: past the initial review only, PENDING_INITIAL: not reviewed)
RESOURCES = [
    ("冬季雾霾天气如何做好个人防护", "image", ["雾霾", "健康", "空气污染"], "雾霾天尽量减少外出，出门佩戴防护口罩，回家后及时洗脸漱口。",
     ["健康"], lambda t: media.picture(t, kind="JPEG"), PUBLISHED),
    ("科学防疫 从勤洗手开始", "wallchart", ["防疫", "洗手", "健康"], "七步洗手法图解，适合社区、学校张贴。",
     ["科学防疫", "守护健康 抗击新型肺炎"], lambda t: media.picture(t, (1000, 1400)), PUBLISHED),
    ("地震来了怎么办：家庭应急避险指南", "article", ["地震", "应急", "避险"], "介绍地震发生时室内外避险要点与家庭应急包的准备。",
     ["应急科普"], media.pdf, PUBLISHED),
    ("谣言：喝板蓝根能预防新冠肺炎", "debunk", ["辟谣", "新冠肺炎"], "板蓝根不能预防新冠肺炎，接种疫苗和做好个人防护才是有效手段。",
     ["辟谣"], media.pdf, PUBLISHED),
    ("两分钟看懂台风路径预报", "video", ["台风", "气象", "预报"], "动画演示台风路径预报图上的概率圆锥与登陆时间。",
     ["应急科普"], media.video, PUBLISHED),
    ("科学家讲述：睡眠与免疫力", "audio", ["睡眠", "免疫", "健康"], "睡眠不足会削弱免疫反应，成年人每天宜睡七到八小时。",
     ["健康"], media.audio, PUBLISHED),
    ("垃圾分类怎么分", "article", ["垃圾分类", "环保"], "可回收物、有害垃圾、厨余垃圾和其他垃圾的分类方法。",
     ["生态环境"], media.pdf, PUBLISHED),
    ("心肺复苏急救步骤", "wallchart", ["急救", "心肺复苏"], "判断意识、呼救、胸外按压与人工呼吸的要点。",
     ["应急科普"], media.pdf, PUBLISHED),
    ("雷雨天户外防雷小视频", "video", ["雷电", "防雷", "气象"], "雷雨天远离孤立大树和高处，不在空旷地带使用手机。",
     ["应急科普"], media.video, PUBLISHED),
    ("谣言：微波炉加热会让食物致癌", "debunk", ["辟谣", "微波炉", "食品安全"], "微波加热只让水分子振动产热，不会让食物产生放射性或致癌物。",
     ["辟谣", "健康"], lambda t: media.picture(t, kind="JPEG"), PUBLISHED),
    ("星空下的科学：认识夏季大三角", "image", ["天文", "星空"], "织女星、牛郎星和天津四组成的夏季大三角。",
     ["天文"], media.picture, PUBLISHED),
    ("节气里的科学：立冬", "audio", ["节气", "气象"], "立冬之后北方进入供暖季，注意室内通风与防寒保暖。",
     ["气象"], media.audio, PUBLISHED),
    ("夏季食品安全小常识", "image", ["食品安全", "健康"], "高温天气食物易变质，生熟分开、彻底加热。",
     ["健康"], media.picture, "rejected: 图片中的温度数据缺少来源"),
    ("青少年近视防控挂图", "wallchart", ["近视", "青少年", "健康"], "每天户外活动两小时，读写姿势要端正。",
     ["健康"], media.picture, PENDING_SCIENTIFIC),
    ("秋冬季流感预防要点", "article", ["流感", "疫苗", "健康"], "接种流感疫苗、勤洗手、咳嗽礼仪。",
     ["健康", "科学防疫"], media.pdf, PENDING_INITIAL),
]
SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf", "video/mp4": ".mp4",
          "audio/mp4": ".m4a"}


def resources(api, admin, orgs, count=len(RESOURCES), workers=6):
    """The first `count` resources of RESOURCES, spread over the organizations. Returns the ids of the
    published ones."""
    specs = [(RESOURCES[k], orgs[k % len(orgs)]) for k in range(count)]
    mine = {}
    for org in {o["id"]: o for _, o in specs}.values():
        listed = api.call("GET", "/my/resources?page_size=100", org["token"])["items"]
        mine.update({(org["id"], r["title"]): r for r in listed})

    def made(spec):
        (title, kind, keywords, description, topics, maker, decision), org = spec
        found = mine.get((org["id"], title))
        if found is None:
            data, content_type = maker(title)
            done = api.upload(org["token"], kind, title + SUFFIX[content_type], (data, content_type))
            found = api.call("POST", "/resources", org["token"], json={
                "title": title, "type": kind, "keywords": keywords, "description": description, "topics": topics,
                "upload_id": done["id"]})
        return found, decision

    with ThreadPoolExecutor(workers) as pool:
        made_ = list(pool.map(made, specs))
    api.decide(admin, "initial", {r["id"]: "approved" for r, d in made_ if d and r["status"] == "pending_initial"})
    api.decide(admin, "scientific", {r["id"]: d for r, d in made_ if d and d != PENDING_SCIENTIFIC
                                     and r["status"] in ("pending_initial", "pending_scientific")})
    return [r["id"] for r, d in made_ if d == PUBLISHED]
