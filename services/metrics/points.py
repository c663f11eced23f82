"""Points for counted shares: per channel, capped per communicator per Asia/Shanghai day. Pure: no I/O."""
from services.metrics.periods import shanghai_day


def award(returns, channel_points, daily_cap, earned):
    """Points each counted share earns, in the order the shares returned.

    returns: [{"share_id", "user_id", "channel", "returned_at"}]; channel_points: {channel: points};
    earned: {(user_id, day): points already earned that day}, updated in place.
    Returns [(share_id, user_id, day, points)]: a share past the cap still counts, with 0 points.
    """
    awarded = []
    for share in sorted(returns, key=lambda s: (s["returned_at"], str(s["share_id"]))):
        day = shanghai_day(share["returned_at"])
        key = (share["user_id"], day)
        so_far = earned.get(key, 0)
        points = max(0, min(channel_points.get(share["channel"], 0), daily_cap - so_far))
        earned[key] = so_far + points
        awarded.append((share["share_id"], share["user_id"], day, points))
    return awarded
