%% beam.erl - bench/actors' BEAM peer: the same four measures as the C
%% side, on one scheduler.  erlc compiles it into the build's bench folder
%% when `make bench` runs; bench/actors then starts
%%
%%   erl +S 1 -noshell -pa BUILD/bench -run beam main SPAWN ONEWAY RTT SKYNET
%%
%% and reads the one line it prints:
%%
%%   beam spawn_us=F bytes_per_actor=F oneway_mps=F rtt_p50_ns=F skynet_ms=F
-module(beam).
-export([main/1]).

main([Spawn, Oneway, Rtt, Skynet]) ->
    [S, O, R, K] = [list_to_integer(X) || X <- [Spawn, Oneway, Rtt, Skynet]],
    {SpawnUs, Bytes} = spawn_idle(S),
    Mps = oneway(O),
    P50 = rtt(R),
    SkyMs = skynet(K),
    io:format("beam spawn_us=~.4f bytes_per_actor=~.1f oneway_mps=~.1f rtt_p50_ns=~.1f skynet_ms=~.2f~n",
              [float(X) || X <- [SpawnUs, Bytes, Mps, P50, SkyMs]]),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: beam main SPAWN ONEWAY RTT SKYNET~n", []),
    halt(2).

now_ns() -> erlang:monotonic_time(nanosecond).

%% N processes waiting in receive: the time per spawn, and what each adds
%% to the memory of all processes.
spawn_idle(N) ->
    erlang:garbage_collect(),
    M0 = erlang:memory(processes),
    T0 = now_ns(),
    Pids = spawn_n(N, []),
    T1 = now_ns(),
    M1 = erlang:memory(processes),
    [P ! stop || P <- Pids],
    wait_gone(Pids),
    {(T1 - T0) / 1000 / N, (M1 - M0) / N}.

spawn_n(0, Acc) -> Acc;
spawn_n(N, Acc) -> spawn_n(N - 1, [spawn(fun idle/0) | Acc]).

idle() -> receive stop -> ok end.

wait_gone([]) -> ok;
wait_gone([P | T]) ->
    case is_process_alive(P) of
        true -> erlang:yield(), wait_gone([P | T]);
        false -> wait_gone(T)
    end.

%% N 64-byte binaries from one process to another, which counts them.
oneway(N) ->
    Self = self(),
    Msg = binary:copy(<<0>>, 64),
    T0 = now_ns(),
    Rx = spawn(fun() -> count(N, Self) end),
    spawn(fun() -> send_n(N, Rx, Msg) end),
    receive counted -> ok end,
    N / ((now_ns() - T0) / 1.0e9).

count(0, Parent) -> Parent ! counted;
count(N, Parent) -> receive _ -> count(N - 1, Parent) end.

send_n(0, _, _) -> ok;
send_n(N, Rx, Msg) -> Rx ! Msg, send_n(N - 1, Rx, Msg).

%% N round trips of a 64-byte binary between two processes (a tenth more
%% first, not counted); the median.
rtt(N) ->
    Self = self(),
    Msg = binary:copy(<<0>>, 64),
    Echo = spawn(fun echo/0),
    Ping = spawn(fun() -> Self ! {lat, ping(N, N div 10, Echo, Msg, [])} end),
    Lat = receive {lat, L} -> L end,
    Echo ! stop,
    exit(Ping, kill),
    lists:nth(N div 2 + 1, lists:sort(Lat)).

echo() ->
    receive
        {P, M} -> P ! M, echo();
        stop -> ok
    end.

%% WARM round trips first, then N measured.
ping(0, 0, _, _, Acc) -> Acc;
ping(N, Warm, Echo, Msg, Acc) ->
    T0 = now_ns(),
    Echo ! {self(), Msg},
    receive _ -> ok end,
    D = now_ns() - T0,
    case Warm of
        0 -> ping(N - 1, 0, Echo, Msg, [D | Acc]);
        _ -> ping(N, Warm - 1, Echo, Msg, Acc)
    end.

%% Skynet: a tree whose leaves are SIZE processes, each inner one spawning
%% ten and summing what they send back.
skynet(Size) ->
    T0 = now_ns(),
    Self = self(),
    spawn(fun() -> sky(Self, 0, Size) end),
    Sum = receive {sum, S} -> S end,
    Ms = (now_ns() - T0) / 1.0e6,
    case Sum =:= Size * (Size - 1) div 2 of
        true -> Ms;
        false -> io:format(standard_error, "beam: skynet summed ~p~n", [Sum]), halt(1)
    end.

sky(Parent, Num, 1) -> Parent ! {sum, Num};
sky(Parent, Num, Size) ->
    Self = self(),
    Sub = Size div 10,
    [spawn(fun() -> sky(Self, Num + I * Sub, Sub) end) || I <- lists:seq(0, 9)],
    Parent ! {sum, gather(10, 0)}.

gather(0, Acc) -> Acc;
gather(N, Acc) -> receive {sum, S} -> gather(N - 1, Acc + S) end.
