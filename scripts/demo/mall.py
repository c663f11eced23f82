"""The points mall: items with stock, and redemptions by the communicators who earned enough points (each
with its own client key, so a second run finds the same redemption); the admin fulfils some."""
ITEMS = [
    ("《十万个为什么》科普图书", "少年儿童出版社经典科普读物一册。", 100, 200),
    ("家庭应急包", "手电、口哨、急救毯等十件套。", 250, 50),
    ("科技馆门票（两张）", "全国科普日期间各地科技馆通用。", 60, 500),
    ("天文望远镜入门款", "70mm口径，适合青少年观星。", 800, 10),
]
# the tickets are collected at the museum's desk; the rest are posted
PICKUP = {"科技馆门票（两张）": [{"name": "中国科学技术馆服务台", "region_code": "110105", "address": "北辰东路5号",
                               "hours": "9:30-17:00（周一闭馆）"}]}


def items(api, admin):
    """The mall's items by name (made once)."""
    listed = {i["name"]: i for i in api.call("GET", "/mall/items?page_size=100&include_inactive=true", admin)["items"]}
    for name, description, cost, stock in ITEMS:
        if name not in listed:
            listed[name] = api.call("POST", "/mall/items", admin, json={
                "name": name, "description": description, "cost": cost, "stock": stock,
                "delivery": name not in PICKUP, "pickup_sites": PICKUP.get(name, [])})
    return [listed[name] for name, *_ in ITEMS]


def redemptions(api, admin, people, wares, fulfil_every=2):
    """Each communicator with enough points redeems the dearest item they can afford. Returns how many."""
    made = 0
    for n, person in enumerate(people):
        key = f"demo-{person['phone']}"
        mine = api.call("GET", "/mall/redemptions?page_size=100", person["token"])["items"]
        if any(r["client_key"] == key for r in mine):
            made += 1
            continue
        balance = api.call("GET", "/me/points", person["token"])["balance"]
        affordable = [w for w in wares if w["cost"] <= balance]
        if not affordable:
            continue
        ware = max(affordable, key=lambda w: w["cost"])
        handover = {"pickup_site_id": ware["pickup_sites"][0]["id"]} if ware.get("pickup_sites") and \
            not ware.get("delivery", True) else {"delivery": {
                "recipient": person.get("name") or "科普员", "phone": person["phone"], "region_code": "110105",
                "address": f"朝阳路{n + 1}号"}}
        redemption = api.call("POST", "/mall/redemptions", person["token"], json={
            "item_id": ware["id"], "quantity": 1, "client_key": key, **handover})
        made += 1
        if n % fulfil_every == 0 and redemption["status"] == "pending":
            fulfilment = {} if redemption.get("method") == "pickup" else {
                "carrier": "中国邮政", "tracking_number": f"KP{n:010d}"}
            api.call("POST", f"/mall/redemptions/{redemption['id']}/fulfil", admin, json=fulfilment)
    return made
