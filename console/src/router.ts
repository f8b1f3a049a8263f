import { createRouter, createWebHistory } from 'vue-router';
import { session, canSee, firstPage } from './session.ts';
import { restoreSession } from './session-restore.ts';

// Every page is its own chunk, loaded when first visited (first load stays small: docs/console.md).
export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', name: 'home', redirect: () => ({ name: firstPage() }) },
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
    { path: '/today', name: 'today', component: () => import('./pages/TodayPage.vue') },
    { path: '/payments', name: 'payments', component: () => import('./pages/PaymentsPage.vue') },
    { path: '/payments/:id', name: 'payment', component: () => import('./pages/PaymentPage.vue'), meta: { page: 'payments' } },
    { path: '/failures', name: 'failures', component: () => import('./pages/FailuresPage.vue') },
    { path: '/terminals', name: 'terminals', component: () => import('./pages/TerminalsPage.vue') },
    { path: '/channels', name: 'channels', component: () => import('./pages/ChannelsPage.vue') },
    { path: '/manual', name: 'manual', component: () => import('./pages/ManualPage.vue') },
    { path: '/settlement', name: 'settlement', component: () => import('./pages/SettlementPage.vue') },
    { path: '/events', name: 'events', component: () => import('./pages/EventsPage.vue') },
    { path: '/users', name: 'users', component: () => import('./pages/UsersPage.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  if (session.user === null) await restoreSession();
  if (to.meta.public === true) return session.user !== null && to.name === 'login' ? { name: firstPage() } : true;
  if (session.user === null) return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
  const page = typeof to.meta.page === 'string' ? to.meta.page : String(to.name);
  if (to.name !== 'home' && !canSee(page)) return { name: firstPage() };
  return true;
});
