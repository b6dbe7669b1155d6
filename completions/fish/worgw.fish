# fish completion for worgw(1)

set -l commands run subscriber allow deny unrule rules calls

complete -c worgw -f
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'Print help and exit'
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -l version -d 'Print version and exit'
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -a run -d 'Run the gateway'
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -a subscriber -d 'Add, change, list and remove subscribers'
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -a allow -d 'Let callers matching a pattern wake the phone'
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -a deny -d 'Keep callers matching a pattern from waking the phone'
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -a unrule -d 'Remove a wake rule'
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -a rules -d "List a subscriber's wake rules"
complete -c worgw -n "not __fish_seen_subcommand_from $commands" -a calls -d 'List recent calls with their wake timelines'

# Every command
complete -c worgw -n "__fish_seen_subcommand_from $commands" -s h -l help -d 'Print help and exit'
complete -c worgw -n "__fish_seen_subcommand_from $commands" -l db -r -F -d 'Database file'

# run
set -l run '__fish_seen_subcommand_from run'
complete -c worgw -n $run -l listen -x -d 'SIP address, udp:HOST:PORT'
complete -c worgw -n $run -l worsend -x -d 'worsend request socket, unix:PATH or tcp:HOST:PORT'
complete -c worgw -n $run -l realm -x -d 'Digest realm for device logins'
complete -c worgw -n $run -l digest-algorithms -x -a 'md5 sha256 sha256,md5 md5,sha256' -d 'Digest challenges offered to devices'
complete -c worgw -n $run -l mode -x -a 'proxy redirect' -d 'How held calls are connected'
complete -c worgw -n $run -l wake-timeout -x -d 'Seconds a call waits for the device (1-600)'
complete -c worgw -n $run -l voicemail -x -d 'Voicemail URI'
complete -c worgw -n $run -l dead-binding-timeout -x -d 'Milliseconds without response before a device is woken'
complete -c worgw -n $run -l upstream-expires -x -d 'Expiry asked for upstream registrations'
complete -c worgw -n $run -l json -d 'Write events as JSON Lines on stdout'
complete -c worgw -n $run -s v -l verbose -d 'More diagnostics on stderr'

# subscriber add|set|list|remove
set -l subs add set list remove
complete -c worgw -n "__fish_seen_subcommand_from subscriber; and not __fish_seen_subcommand_from $subs" -a add -d 'Add a subscriber'
complete -c worgw -n "__fish_seen_subcommand_from subscriber; and not __fish_seen_subcommand_from $subs" -a set -d 'Change the given fields of a subscriber'
complete -c worgw -n "__fish_seen_subcommand_from subscriber; and not __fish_seen_subcommand_from $subs" -a list -d 'List subscribers with status'
complete -c worgw -n "__fish_seen_subcommand_from subscriber; and not __fish_seen_subcommand_from $subs" -a remove -d 'Remove a subscriber'
set -l fields '__fish_seen_subcommand_from subscriber; and __fish_seen_subcommand_from add set'
complete -c worgw -n $fields -l aor -x -d 'Upstream address of record, sip:USER@DOMAIN'
complete -c worgw -n $fields -l registrar -x -d 'Upstream registrar URI'
complete -c worgw -n $fields -l user -x -d 'Digest user (default: the name)'
complete -c worgw -n $fields -l password-file -r -F -d 'File whose first line is the password'
complete -c worgw -n $fields -l device -x -d 'Device id worsend wakes'
complete -c worgw -n $fields -l proxy-login -x -a 'on off' -d 'Keep an upstream registration'
complete -c worgw -n $fields -l mode -x -a 'default proxy redirect' -d 'How calls are connected'
complete -c worgw -n $fields -l voicemail -x -d 'Voicemail URI'
complete -c worgw -n $fields -l default-policy -x -a 'allow deny' -d 'Wake callers no rule matches'
complete -c worgw -n '__fish_seen_subcommand_from subscriber; and __fish_seen_subcommand_from list' -l json -d 'Write a JSON array'

# rules, calls
complete -c worgw -n '__fish_seen_subcommand_from rules' -l json -d 'Write a JSON object'
complete -c worgw -n '__fish_seen_subcommand_from calls' -l subscriber -x -d "Only this subscriber's calls"
complete -c worgw -n '__fish_seen_subcommand_from calls' -l limit -x -d 'Calls to list at most'
complete -c worgw -n '__fish_seen_subcommand_from calls' -l json -d 'Write a JSON array'
