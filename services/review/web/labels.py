"""Chinese labels and formats for the review UI."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from kepu_common import regions

SHANGHAI = ZoneInfo("Asia/Shanghai")

STAGES = {"realname": "实名认证", "org": "机构认证", "initial": "资源初审", "scientific": "科学性审核",
          "provincial": "省级审批", "national": "全国审批"}
STATUSES = {"open": "待审核", "decided": "已审核", "superseded": "已被新提交取代"}
DECISIONS = {"approved": "通过", "rejected": "驳回"}
ACTIONS = {"created": "提交审核", "claimed": "领取", "released": "释放", "approved": "通过", "rejected": "驳回",
           "superseded": "被新提交取代"}
SUBJECTS = {"communicator_verification": "科普员认证", "organization": "机构入驻", "resource": "科普资源",
            "activity": "活动"}
FIELDS = {"real_name": "真实姓名", "id_number": "身份证号", "unit_name": "单位名称", "unit_address": "单位地址",
          "communicator_type_label": "科普员类型", "region": "所在地区", "name": "名称", "category_label": "类别",
          "contact_name": "联系人", "contact_phone": "联系电话", "title": "资源名称", "keywords": "关键字",
          "description": "简介", "type": "类型", "type_label": "资源类型", "topics": "专题", "org_name": "提交机构",
          "filename": "文件名", "file_size": "文件大小（字节）", "mode": "活动方式", "start_at": "开始时间", "end_at": "结束时间"}
HIDDEN_FIELDS = {"files", "communicator_type", "category", "region_code", "org_id", "parent_id", "licence_key",
                 "file_key", "thumbnail_key"}

ERRORS = {"Conflict": "操作冲突", "Forbidden": "无权操作", "NotFound": "未找到", "InvalidInput": "输入有误",
          "ValidationError": "输入有误", "conflict": "冲突", "forbidden": "无权操作", "not_found": "未找到",
          "validation_failed": "输入有误"}
MESSAGES = {
    "Another reviewer is working on this task.": "该任务已被其他审核员领取。",
    "Another reviewer has claimed this task.": "该任务已被其他审核员领取，无法审核。",
    "This task was already decided.": "该任务已审核完毕。",
    "This task was replaced by a newer request for the same subject.": "提交方已重新提交，该任务已失效。",
    "A rejection needs the reason, for the submitter.": "驳回时必须填写理由。",
    "This task is outside the stages (or province) you review.": "该任务不在您的审核范围内。",
    "No such task.": "任务不存在。",
    "You do not hold a claim on this task.": "您没有领取该任务。",
    "Decide approved or rejected.": "请选择通过或驳回。",
}


def error_message(kind, message):
    return MESSAGES.get(message, f"{ERRORS.get(kind, '出错了')}：{message}")


def login_error(kind):
    return {"Unauthorized": "手机号或密码错误。", "RateLimited": "尝试次数过多，请稍后再试。"}.get(kind, "登录失败，请检查输入。")


def province(code):
    if not code:
        return ""
    division = regions.lookup(code)
    return division.name if division else code


def when(value):
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def waited(value, now=None):
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    seconds = int(((now or datetime.now(timezone.utc)) - moment).total_seconds())
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{seconds // 60} 分钟"
    if seconds < 86400:
        return f"{seconds // 3600} 小时 {seconds % 3600 // 60} 分钟"
    return f"{seconds // 86400} 天 {seconds % 86400 // 3600} 小时"
