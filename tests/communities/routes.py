from tests.routes import C, P

ROUTES = {
    "communities.list_communities": {C, P},
    "communities.create_community": {C},
    "communities.edit_community": {C},
    "communities.community_detail": {C, P},
    "communities.add_member": {C},
    "communities.end_membership": {C},
    "communities.list_people": {C},
    "communities.create_person": {C},
    "communities.edit_person": {C},
    "communities.list_events": {C, P},
    "communities.create_event": {C},
    "communities.edit_event": {C},
    "communities.event_detail": {C, P},
    "communities.record_attendance": {C},
    "communities.add_pledge": {C},
    "communities.follow_up_pledge": {C},
}
