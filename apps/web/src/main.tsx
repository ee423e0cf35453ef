import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import { startWorker } from './worker/client.ts';
import './ui/style.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(<App api={startWorker()} />);

// Precache the app for offline use (the build writes sw.js; the dev server has none).
if ('serviceWorker' in navigator && import.meta.env.PROD)
  navigator.serviceWorker.register('./sw.js').catch((error: unknown) => {
    console.warn('offline cache unavailable:', error);
  });
