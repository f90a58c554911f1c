// Drives the service as a platform would, with Edge Impulse's own npm
// client (edge-impulse-api) and socket.io-client 2.x and 4.x. Run by
// TestRealClient (realclient_test.go), which starts the service and sets:
//   TI_URL        the service's base URL
//   TI_ADMIN_KEY  the admin key (starts with ei_, as the client requires)
//   TI_DATASETS   datasets to upload, "name=dir=impulse.json" separated by ;
//   TI_OUT        folder for the raw JSON responses the Go test type-checks,
//                 and for the deployments it downloads (deploy-*.zip,
//                 deploy-*.tflite, learn-*.tflite) and the report
//                 (report.html), which the Go test checks against the model
//   NODE_PATH     the folder the packages were installed in
// It exits 0 when every step worked and prints one line per step.
'use strict';
const fs = require('fs');
const path = require('path');
const { EdgeImpulseApi } = require('edge-impulse-api');
const io2 = require('sio2');
const io4 = require('sio4');

const URL_ = process.env.TI_URL;
const ADMIN = process.env.TI_ADMIN_KEY;
const OUT = process.env.TI_OUT;

function check(cond, msg) {
    if (!cond) {
        throw new Error('check failed: ' + msg);
    }
}

function step(msg) {
    console.log('ok - ' + msg);
}

// raw GET through fetch, saved for the Go test's type check.
async function saveRaw(key, route, file) {
    const res = await fetch(URL_ + route, { headers: { 'x-api-key': key } });
    const text = await res.text();
    check(res.status === 200, `${route}: ${res.status} ${text}`);
    fs.writeFileSync(path.join(OUT, file), text);
    return JSON.parse(text);
}

// upload sends the files of a dataset folder through the ingestion
// route, one request per category and label (x-label), as a platform's
// uploader would.
async function upload(key, dir) {
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'info.labels'), 'utf8'));
    const groups = {};
    for (const f of info.files) {
        const k = f.category + '\t' + f.label.label;
        (groups[k] = groups[k] || []).push(f.path);
    }
    let n = 0;
    for (const [k, files] of Object.entries(groups)) {
        const [category, label] = k.split('\t');
        for (let i = 0; i < files.length; i += 50) {
            const form = new FormData();
            for (const p of files.slice(i, i + 50)) {
                form.append('data', new Blob([fs.readFileSync(path.join(dir, p))]), path.basename(p));
            }
            const res = await fetch(URL_ + '/api/' + category + '/files', {
                method: 'POST', body: form, headers: { 'x-api-key': key, 'x-label': label },
            });
            const body = await res.json();
            check(res.status === 200 && body.success, 'upload: ' + JSON.stringify(body));
            check(body.files.length === files.slice(i, i + 50).length, 'upload: one result per file');
            n += body.files.length;
        }
    }
    return n;
}

async function trainProject(admin, name, dir, impulseFile, save) {
    const created = await admin.projects.createProject({ projectName: name });
    check(created.success && created.id > 0 && created.apiKey.startsWith('ei_'), 'createProject');
    const pid = created.id;
    const api = new EdgeImpulseApi({ endpoint: URL_ });
    await api.authenticate({ method: 'apiKey', apiKey: created.apiKey });
    step(`${name}: project ${pid} created`);

    const n = await upload(created.apiKey, dir);
    const info = await api.projects.getProjectInfo(pid);
    check(info.project.id === pid && info.dataSummary.dataCount === n, 'getProjectInfo counts the uploads');
    step(`${name}: ${n} samples uploaded through /api/{category}/files`);

    const def = JSON.parse(fs.readFileSync(impulseFile, 'utf8'));
    const imp = await api.impulse.createImpulse(pid, def.impulse);
    check(imp.success, 'createImpulse');
    for (const [id, params] of Object.entries(def.dsp || {})) {
        const config = {};
        for (const [k, v] of Object.entries(params)) {
            config[k] = String(v);
        }
        await api.dsp.setDspConfig(pid, Number(id), { config });
    }
    const got = await api.impulse.getImpulse(pid);
    check(got.impulse && got.impulse.learnBlocks.length === def.impulse.learnBlocks.length, 'getImpulse');
    step(`${name}: impulse set`);

    const keras = got.impulse.learnBlocks.find(b => b.type === 'keras');
    const kerasConfig = await api.learn.getKeras(pid, keras.id);
    kerasConfig.trainingCycles = 20;
    const job = await api.jobs.trainKerasJob(pid, keras.id, kerasConfig);
    check(job.success && job.id > 0, 'trainKerasJob');
    let log = '';
    await api.runJobUntilCompletion({ type: 'project', projectId: pid, jobId: job.id }, d => { log += d; });
    check(/Epoch 20\/20/.test(log), 'the socket streamed the training log:\n' + log);
    check(/Job completed/.test(log), 'the socket streamed the end of the job');
    const status = await api.jobs.getJobStatus(pid, job.id);
    check(status.job.finishedSuccessful === true && status.job.id === job.id, 'getJobStatus');
    step(`${name}: training job ${job.id} followed with runJobUntilCompletion (${log.split('\n').length} log lines)`);

    const detailed = await api.impulse.getAllDetailedImpulses(pid);
    check(detailed.impulses.length === 1 && detailed.impulses[0].learnBlockKerasConfigs.length >= 1, 'getAllDetailedImpulses');
    if (save) {
        await saveRaw(created.apiKey, `/v1/api/${pid}/impulses-detailed`, 'GetAllDetailedImpulsesResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/jobs/${job.id}/status`, 'GetJobResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/jobs/${job.id}/stdout`, 'LogStdoutResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/jobs/all`, 'ListJobsResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}`, 'ProjectInfoResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/impulse`, 'GetImpulseResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/training/keras/${keras.id}`, 'KerasResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/training/keras/${keras.id}/metadata`, 'KerasModelMetadataResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/socket-token`, 'SocketTokenResponse.json');
    }
    const meta = await api.learn.getKerasMetadata(pid, keras.id);
    check(meta.hasTrainedModel === true, 'getKerasMetadata');
    const logs = await api.jobs.getJobsLogs(pid, job.id);
    check(logs.stdout.map(l => l.data).join('').includes('Epoch 20/20'), 'getJobsLogs');
    step(`${name}: impulses-detailed, keras metadata and stdout read`);
    return { api, pid, key: created.apiKey, keras, trainJob: job.id };
}

// deployments builds the C library (zip, int8) and the .tflite files
// (float32 and int8) with the package's buildOnDeviceModelJob, follows
// each job with runJobUntilCompletion, checks getDeployment and
// downloads each build with downloadBuild; downloads the int8 network
// with downloadLearnModel and the HTML report. The files go to TI_OUT.
async function deployments(p) {
    const { api, pid, key, keras } = p;
    // The Go test checks the downloads against the model of this job.
    fs.writeFileSync(path.join(OUT, 'deploy-model.txt'), `${pid} ${p.trainJob}\n`);
    const targets = await api.deployment.listDeploymentTargetsForProject(pid);
    const formats = targets.targets.map(t => t.format + ':' + t.preferredEngine).join(' ');
    check(formats === 'zip:tflite-eon arduino:tflite-eon tflite:tflite', 'listDeploymentTargetsForProject: ' + formats);
    await saveRaw(key, `/v1/api/${pid}/deployment/targets`, 'ProjectDeploymentTargetsResponse.json');
    await saveRaw(key, '/v1/api/deployment/targets', 'DeploymentTargetsResponse.json');
    step(`deployment targets: ${formats}`);
    const before = await api.deployment.getDeployment(pid, { type: 'zip' });
    check(before.hasDeployment === false, 'getDeployment before a build: ' + JSON.stringify(before));
    // The three builds at once: runJobUntilCompletion polls the status
    // every 5 s whatever the socket says.
    const builds = [['zip', 'tflite-eon', 'int8', 'zip'], ['tflite', 'tflite', 'float32', 'tflite'], ['tflite', 'tflite', 'int8', 'tflite']];
    await Promise.all(builds.map(async ([type, engine, modelType, ext]) => {
        const start = Date.now();
        const job = await api.jobs.buildOnDeviceModelJob(pid, { engine, modelType }, { type });
        check(job.success && job.id > 0 && job.deploymentVersion === job.id, 'buildOnDeviceModelJob: ' + JSON.stringify(job));
        if (type === 'zip') {
            fs.writeFileSync(path.join(OUT, 'BuildOnDeviceModelResponse.json'), JSON.stringify(job));
        }
        let log = '';
        await api.runJobUntilCompletion({ type: 'project', projectId: pid, jobId: job.id }, d => { log += d; });
        const secs = (Date.now() - start) / 1000;
        check(/Built [0-9]+ bytes/.test(log) && /Job completed/.test(log), 'the socket streamed the build log:\n' + log);
        const dep = await api.deployment.getDeployment(pid, { type, modelType, engine });
        check(dep.hasDeployment === true && dep.version === job.id, 'getDeployment: ' + JSON.stringify(dep));
        if (type === 'zip') {
            await saveRaw(key, `/v1/api/${pid}/deployment?type=zip`, 'GetDeploymentResponse.json');
        }
        const file = await api.deployment.downloadBuild(pid, { type, modelType, engine });
        check(Buffer.isBuffer(file) && file.length > 1000, 'downloadBuild returns the file');
        fs.writeFileSync(path.join(OUT, `deploy-${type}-${modelType}.${ext}`), file);
        const built = log.match(/Built [0-9]+ bytes.*/)[0];
        step(`${type} (${modelType}, ${engine}) built by job ${job.id}, followed with runJobUntilCompletion (${secs.toFixed(2)} s; job log: ${built}), ${file.length} bytes downloaded with downloadBuild`);
    }));
    const downloads = await api.projects.listDownloads(pid);
    check(downloads.downloads.some(d => d.id === 'tflite-int8'), 'listDownloads names tflite-int8');
    await saveRaw(key, `/v1/api/${pid}/downloads`, 'ProjectDownloadsResponse.json');
    const lm = await api.learn.downloadLearnModel(pid, keras.id, 'tflite-int8');
    check(Buffer.isBuffer(lm), 'downloadLearnModel returns the file');
    fs.writeFileSync(path.join(OUT, 'learn-int8.tflite'), lm);
    step(`downloadLearnModel(${keras.id}, tflite-int8): ${lm.length} bytes`);
    const res = await fetch(`${URL_}/v1/api/${pid}/report`, { headers: { 'x-api-key': key } });
    const html = await res.text();
    check(res.status === 200 && /^text\/html/.test(res.headers.get('content-type')), 'report: ' + res.status);
    fs.writeFileSync(path.join(OUT, 'report.html'), html);
    step(`report: ${html.length} bytes of HTML`);
}

// cancelOverSocket starts a long job and cancels it with job-cancel on the
// package's own WebSocket.
async function cancelOverSocket(p) {
    const { api, pid, keras } = p;
    const cfg = await api.learn.getKeras(pid, keras.id);
    cfg.trainingCycles = 5000;
    const job = await api.jobs.trainKerasJob(pid, keras.id, cfg);
    const ws = await api.getProjectWebsocket(pid);
    let log = '';
    let finished;
    const done = new Promise(resolve => {
        ws.onmessage = msg => {
            const m = JSON.parse(msg.data.toString().replace(/^[0-9]+/, '') || 'null');
            if (!Array.isArray(m)) {
                return;
            }
            if (m[0] === `job-data-${job.id}`) {
                log += m[1].data;
                if (/Epoch 2\//.test(log) && !done.sent) {
                    done.sent = true;
                    ws.send('42' + JSON.stringify(['job-cancel', { jobId: job.id }]));
                }
            }
            if (m[0] === `job-finished-${job.id}`) {
                finished = m[1];
                resolve();
            }
        };
    });
    ws.send('42' + JSON.stringify(['start-log-stream', { jobId: job.id, lastReceivedTimestamp: 0 }]));
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('no job-finished after job-cancel')), 60000))]);
    ws.terminate();
    check(finished && finished.success === false, 'job-finished reports failure after job-cancel');
    const status = await api.jobs.getJobStatus(pid, job.id);
    check(status.job.finishedSuccessful === false, 'the cancelled job is finished unsuccessfully');
    const logs = await api.jobs.getJobsLogs(pid, job.id);
    const text = logs.stdout.map(l => l.data).join('');
    check(/Terminated by user/.test(text), 'the cancelled job\'s stdout says so:\n' + text);
    step(`job ${job.id} cancelled with job-cancel over the WebSocket; stdout says "Terminated by user"`);
    // runJobUntilCompletion on a failed job throws, as on Studio.
    let threw = false;
    try {
        await api.runJobUntilCompletion({ type: 'project', projectId: pid, jobId: job.id });
    } catch (e) {
        threw = /Job failed/.test(e.message);
    }
    check(threw, 'runJobUntilCompletion reports the cancelled job as failed');
    step('runJobUntilCompletion reports the cancelled job as failed');
}

// socketClients follows a job with socket.io-client 2.x and 4.x (default
// transports: long polling, then the upgrade to WebSocket).
async function socketClients(p) {
    const { api, pid, keras } = p;
    const tok = await api.projects.getSocketToken(pid);
    const clients = {
        'socket.io-client 2': io2(URL_, { query: { token: tok.token.socketToken }, forceNew: true }),
        'socket.io-client 4': io4(URL_, { query: { token: tok.token.socketToken }, forceNew: true }),
    };
    const hello = Object.entries(clients).map(([name, c]) => new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(name + ': no hello')), 20000);
        c.on('hello', m => { clearTimeout(t); check(m.hello.version === 1, name + ' hello'); resolve(); });
        c.on('connect_error', e => reject(new Error(name + ': ' + e.message)));
    }));
    await Promise.all(hello);
    // Wait for the upgrade to the WebSocket transport.
    await new Promise(r => setTimeout(r, 500));
    const cfg = await api.learn.getKeras(pid, keras.id);
    cfg.trainingCycles = 5;
    const job = await api.jobs.trainKerasJob(pid, keras.id, cfg);
    const results = await Promise.all(Object.entries(clients).map(([name, c]) => new Promise((resolve, reject) => {
        let lines = 0;
        const t = setTimeout(() => reject(new Error(name + ': no job-finished')), 60000);
        c.on(`job-data-${job.id}`, m => { lines += m.data.split('\n').length - 1; });
        c.on(`job-finished-${job.id}`, m => {
            clearTimeout(t);
            resolve({ name, lines, success: m.success, transport: (c.io.engine.transport || {}).name });
        });
    })));
    for (const r of results) {
        check(r.success === true && r.lines > 5, r.name + ' received the job\'s events: ' + JSON.stringify(r));
        step(`${r.name} (transport ${r.transport}) received ${r.lines} log lines and job-finished {success: true}`);
    }
    for (const c of Object.values(clients)) {
        c.close();
    }
}

(async () => {
    const admin = new EdgeImpulseApi({ endpoint: URL_ });
    await admin.authenticate({ method: 'apiKey', apiKey: ADMIN });
    let first;
    for (const spec of process.env.TI_DATASETS.split(';')) {
        const [name, dir, impulse] = spec.split('=');
        const p = await trainProject(admin, name, dir, impulse, !first);
        first = first || p;
    }
    await deployments(first);
    await cancelOverSocket(first);
    await socketClients(first);
    // A project's key does not reach another project.
    const other = await admin.projects.createProject({ projectName: 'other' });
    let denied = '';
    try {
        await first.api.projects.getProjectInfo(other.id);
    } catch (e) {
        denied = e.message;
    }
    check(/not found/.test(denied), 'another project is "not found": ' + denied);
    step('a project key gets "not found" for another project');
    console.log('done');
    process.exit(0);
})().catch(e => {
    console.error('FAIL', e && e.stack || e);
    process.exit(1);
});
