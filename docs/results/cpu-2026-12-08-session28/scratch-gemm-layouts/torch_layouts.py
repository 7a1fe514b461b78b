import torch, time
torch.set_num_threads(1)
for (m,k,n) in [(1024,1024,256),(256,1024,1024),(1024,256,1024),(1024,256,256),(256,1024,256)]:
    for ta in (0,1):
        for tb in (0,1):
            a = torch.rand(k,m).t() if ta else torch.rand(m,k)
            b = torch.rand(n,k).t() if tb else torch.rand(k,n)
            c = torch.empty(m,n)
            best=1e9
            for r in range(12):
                t0=time.perf_counter(); torch.mm(a,b,out=c); t=time.perf_counter()-t0
                if r>=2: best=min(best,t)
            print(f"{m} {k} {n} {'T' if ta else 'N'}{'T' if tb else 'N'} min {best*1e6:.0f} us {2*m*k*n/best/1e9:.1f} GF/s")
