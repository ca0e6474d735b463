#!/usr/bin/env python3
"""Print your projects' budgets from the accounting portal's JSON API.

PORTAL_URL is the portal's address, PORTAL_TOKEN a personal access token
(your account's Tokens page). Standard library only."""
import json, os, urllib.request

base, token = os.environ["PORTAL_URL"].rstrip("/"), os.environ["PORTAL_TOKEN"]

def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)

me = get("/api/v1/me")
print(f"{me['name']} ({', '.join(me['roles'])}), token {me['token_name']!r} until {me['token_expires_utc']}")
path = "/api/v1/budgets?sort=project&limit=100"
while path:  # follow the pages until next is null
    page = get(path)
    for row in page["data"]:  # amounts are exact decimal strings; null: not synced yet
        print(f"{row['project_key']:<14} {row['balance_credits'] or '-':>12} credits  runs out {row['runs_out_30d_rate_date'] or 'never'}")
    path = page["next"]
