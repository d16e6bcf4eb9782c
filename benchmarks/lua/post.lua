-- wrk script: POST a form as htmx does, rotating over the paths given after `--`.
-- The cookie and the X-CSRFToken header come from wrk's -H options.
--   wrk ... -s post.lua URL -- vote  /posts/7/vote,/posts/9/vote
--   wrk ... -s post.lua URL -- reply /posts/7/reply,/posts/9/reply
-- Replies carry a body unique to this wrk thread and request: the board returns the first post for a
-- resubmission of the same text within its duplicate window, so repeated bodies would measure nothing.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local mode, paths, sent = "vote", {}, 0

function init(args)
  mode = args[1]
  for path in string.gmatch(args[2], "[^,]+") do
    paths[#paths + 1] = path
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["HX-Request"] = "true"
end

function request()
  sent = sent + 1
  local path = paths[(sent % #paths) + 1]
  local body
  if mode == "reply" then
    body = string.format(
      "body=Benchmark+reply+%d-%d%%3A+the+long+take+in+the+second+act+still+holds+up+on+a+rewatch.",
      thread_number or 0, sent)
  else
    body = "direction=up"  -- the same arrow again takes the vote back: this toggles cast/withdrawn
  end
  return wrk.format(nil, path, nil, body)
end
