#!/bin/sh
# A one-shot drover handler in plain POSIX shell: one task line arrives on stdin, followed by
# EOF; we reply with one JSON line on stdout and exit. No SDK, no ready line needed.
#
# The task:   {"task_id":"…","payload":{"text":"…"}, …}
# The reply:  {"task_id":"…","result":{"words":N,"chars":N,"upper":"…"},"error":null,"retry":false}
#
# Shell has no JSON parser, so this handler uses sed for the two fields it needs and accepts
# payloads of the form {"text":"…"} without escaped quotes; jq makes this robust where present.
set -u
IFS= read -r line || true

task_id=$(printf '%s' "$line" | sed -n 's/.*"task_id" *: *"\([^"]*\)".*/\1/p')
text=$(printf '%s' "$line" | sed -n 's/.*"text" *: *"\([^"\\]*\)".*/\1/p')

if [ -z "$task_id" ]; then
  echo "oneshot-shell: no task_id in input line" >&2
  exit 2
fi
if ! printf '%s' "$line" | grep -q '"text" *: *"'; then
  printf '{"task_id":"%s","result":null,"error":{"message":"payload needs a \\"text\\" string","type":"ValueError"},"retry":false}\n' "$task_id"
  exit 0
fi

words=$(printf '%s' "$text" | wc -w | tr -d ' ')
chars=$(printf '%s' "$text" | wc -m | tr -d ' ')
upper=$(printf '%s' "$text" | tr '[:lower:]' '[:upper:]')
echo "counted $words words" >&2   # stderr goes to drover's log, tagged with the task
printf '{"task_id":"%s","result":{"words":%s,"chars":%s,"upper":"%s"},"error":null,"retry":false}\n' \
  "$task_id" "$words" "$chars" "$upper"
