# A keep-alive HTTP client: median and 99th-percentile latency and requests per second of
# GET /api/v1/query against 127.0.0.1:PORT, COUNT requests over THREADS connections.
# python3 latency.py PORT COUNT THREADS
import http.client, time, sys, statistics, threading
port=int(sys.argv[1]); n=int(sys.argv[2]); threads=int(sys.argv[3])
lat=[]; lock=threading.Lock()
def worker(count):
    c=http.client.HTTPConnection('127.0.0.1',port)
    mine=[]
    for i in range(count):
        t=time.perf_counter(); c.request('GET','/api/v1/query?query=up'); r=c.getresponse(); r.read(); mine.append(time.perf_counter()-t)
    with lock: lat.extend(mine)
# warm up
worker(200); lat.clear()
start=time.perf_counter()
ts=[threading.Thread(target=worker,args=(n//threads,)) for _ in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
el=time.perf_counter()-start
lat.sort()
print(f"median_us={statistics.median(lat)*1e6:.0f} p99_us={lat[int(len(lat)*0.99)]*1e6:.0f} rps={len(lat)/el:.0f}")
